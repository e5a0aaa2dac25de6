//! ksecdd.sys's CNG routines through the real stubs on both architectures: providers and
//! their properties, hashing and HMAC with known answers, RSA PKCS #1 v1.5 verification with
//! a key and signature computed outside (n = (2^255 - 19)(2^521 - 1), e = 65537, SHA-256 of
//! "portcullis").
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::*;

use portcullis_hle::exports::Dll;

const K: Dll = Dll::Ksecdd;
const STATUS_INVALID_HANDLE: u32 = 0xC000_0008;
const STATUS_BUFFER_TOO_SMALL: u32 = 0xC000_0023;
const STATUS_NOT_FOUND: u32 = 0xC000_0225;
const STATUS_INVALID_PARAMETER: u32 = 0xC000_000D;
const STATUS_INVALID_SIGNATURE: u32 = 0xC000_A000;

const MODULUS: &str = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffd9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff8000000000000000000000000000000000000000000000000000000000000013";
const SIGNATURE: &str = "63ef168001957b0ee2012c53fec2a8f0249238108fe2d8a56f20dc96571899a2771cd055ceefbdc6c2596318f39d447a1e5f4dce2039062ed0e251ce91da97d166c308a48f00d1fc30015ef89cdbb93a5962ad8fea409338a317bce315cdc17a48";
const DIGEST: &str = "74e19dcd5ceecfb9f1579fda3c43a847f3fad01c8606d85caa17242e9bc99f0e";

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn st(fx: &mut Fx, name: &str, args: &[u64]) -> u32 {
    fx.call(K, name, args).unwrap() as u32
}

fn open(fx: &mut Fx, alg: &str, flags: u64) -> u64 {
    let (out, id) = (fx.alloc(8), fx.wstr(alg));
    assert_eq!(st(fx, "BCryptOpenAlgorithmProvider", &[out, id, 0, flags]), 0, "{alg}");
    fx.read_ptr(out)
}

fn dword_property(fx: &mut Fx, h: u64, name: &str) -> u32 {
    let (n, out, len) = (fx.wstr(name), fx.alloc(4), fx.alloc(4));
    assert_eq!(st(fx, "BCryptGetProperty", &[h, n, out, 4, len, 0]), 0, "{name}");
    u32::from_le_bytes(fx.read(out, 4).try_into().unwrap())
}

fn digest_of(fx: &mut Fx, alg: u64, secret: &[u8], data: &[u8], len: u32) -> Vec<u8> {
    let (out, object) = (fx.alloc(8), fx.alloc(0x200));
    let key = fx.put(secret);
    assert_eq!(st(fx, "BCryptCreateHash", &[alg, out, object, 0x200, key, secret.len() as u64, 0]), 0);
    let h = fx.read_ptr(out);
    let input = fx.put(data);
    // In two pieces: the state carries over.
    let half = data.len() as u64 / 2;
    assert_eq!(st(fx, "BCryptHashData", &[h, input, half, 0]), 0);
    assert_eq!(st(fx, "BCryptHashData", &[h, input + half, data.len() as u64 - half, 0]), 0);
    let d = fx.alloc(64);
    assert_eq!(st(fx, "BCryptFinishHash", &[h, d, len as u64 - 1, 0]), STATUS_INVALID_PARAMETER);
    assert_eq!(st(fx, "BCryptFinishHash", &[h, d, len as u64, 0]), 0);
    assert_eq!(st(fx, "BCryptHashData", &[h, input, 1, 0]), STATUS_INVALID_HANDLE, "finished");
    assert_eq!(st(fx, "BCryptDestroyHash", &[h]), 0);
    assert_eq!(st(fx, "BCryptDestroyHash", &[h]), STATUS_INVALID_HANDLE);
    fx.read(d, len as usize)
}

#[test]
fn providers_and_properties() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let (out, id) = (fx.alloc(8), fx.wstr("ROT13"));
        assert_eq!(st(&mut fx, "BCryptOpenAlgorithmProvider", &[out, id, 0, 0]), STATUS_NOT_FOUND, "{arch:?}");
        let sha = open(&mut fx, "SHA256", 0);
        assert_eq!(dword_property(&mut fx, sha, "HashDigestLength"), 32);
        assert!(dword_property(&mut fx, sha, "ObjectLength") > 0);
        let (n, len) = (fx.wstr("HashDigestLength"), fx.alloc(4));
        assert_eq!(st(&mut fx, "BCryptGetProperty", &[sha, n, 0, 0, len, 0]), 0, "size only");
        assert_eq!(fx.read(len, 4), [4, 0, 0, 0]);
        let small = fx.alloc(4);
        assert_eq!(st(&mut fx, "BCryptGetProperty", &[sha, n, small, 2, len, 0]), STATUS_BUFFER_TOO_SMALL);
        let (name, text) = (fx.wstr("AlgorithmName"), fx.alloc(32));
        assert_eq!(st(&mut fx, "BCryptGetProperty", &[sha, name, text, 32, len, 0]), 0);
        assert_eq!(fx.read(len, 4), [14, 0, 0, 0]);
        assert_eq!(st(&mut fx, "BCryptCloseAlgorithmProvider", &[sha, 0]), 0);
        assert_eq!(st(&mut fx, "BCryptCloseAlgorithmProvider", &[sha, 0]), STATUS_INVALID_HANDLE);
        assert_eq!(st(&mut fx, "BCryptGetProperty", &[sha, n, small, 4, len, 0]), STATUS_INVALID_HANDLE);
    }
}

#[test]
fn hashes_and_hmacs_have_the_known_answers() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let cases = [
            ("MD5", 16, "900150983cd24fb0d6963f7d28e17f72"),
            ("SHA1", 20, "a9993e364706816aba3e25717850c26c9cd0d89d"),
            ("SHA256", 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ("SHA384", 48, "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"),
            ("SHA512", 64, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"),
        ];
        for (alg, len, want) in cases {
            let h = open(&mut fx, alg, 0);
            assert_eq!(digest_of(&mut fx, h, &[], b"abc", len), hex(want), "{arch:?} {alg}");
        }
        // RFC 4231 test case 2: HMAC-SHA-256 with the key "Jefe".
        let hmac = open(&mut fx, "SHA256", 8);
        assert_eq!(
            digest_of(&mut fx, hmac, b"Jefe", b"what do ya want for nothing?", 32),
            hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        );
        // A hash object smaller than ObjectLength is refused.
        let (out, object) = (fx.alloc(8), fx.alloc(8));
        assert_eq!(st(&mut fx, "BCryptCreateHash", &[hmac, out, object, 8, 0, 0, 0]), STATUS_BUFFER_TOO_SMALL);
    }
}

#[test]
fn rsa_pkcs1_signatures_are_verified() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let rsa = open(&mut fx, "RSA", 0);
        let (n, e) = (hex(MODULUS), vec![1, 0, 1]);
        // BCRYPT_RSAKEY_BLOB: 'RSA1', BitLength, cbPublicExp, cbModulus, cbPrime1, cbPrime2.
        let mut blob = Vec::new();
        for v in [0x3141_5352u32, 776, 3, n.len() as u32, 0, 0] {
            blob.extend(v.to_le_bytes());
        }
        blob.extend(&e);
        blob.extend(&n);
        let (blob_at, kind, out) = (fx.put(&blob), fx.wstr("RSAPUBLICBLOB"), fx.alloc(8));
        let short = blob.len() as u64 - 1;
        assert_eq!(
            st(&mut fx, "BCryptImportKeyPair", &[rsa, 0, kind, out, blob_at, short, 0]),
            STATUS_INVALID_PARAMETER
        );
        assert_eq!(
            st(&mut fx, "BCryptImportKeyPair", &[rsa, 0, kind, out, blob_at, blob.len() as u64, 0]),
            0,
            "{arch:?}"
        );
        let key = fx.read_ptr(out);
        let (digest, sig) = (fx.put(&hex(DIGEST)), fx.put(&hex(SIGNATURE)));
        let alg = fx.wstr("SHA256");
        let padding = fx.alloc(8);
        fx.k.mem_mut().write_ptr(padding, alg).unwrap();
        let verify = |fx: &mut Fx, sig: u64| st(fx, "BCryptVerifySignature", &[key, padding, digest, 32, sig, 97, 2]);
        assert_eq!(verify(&mut fx, sig), 0);
        let mut bad = hex(SIGNATURE);
        bad[50] ^= 1;
        let bad = fx.put(&bad);
        assert_eq!(verify(&mut fx, bad), STATUS_INVALID_SIGNATURE);
        // No padding flag: refused.
        assert_eq!(
            st(&mut fx, "BCryptVerifySignature", &[key, padding, digest, 32, sig, 97, 0]),
            STATUS_INVALID_PARAMETER
        );
        assert_eq!(st(&mut fx, "BCryptDestroyKey", &[key]), 0);
        assert_eq!(verify(&mut fx, sig), STATUS_INVALID_HANDLE);
    }
}
