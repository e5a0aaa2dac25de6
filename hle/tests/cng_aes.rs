//! CNG's AES through the real stubs of ksecdd.sys and cng.sys on both architectures, with
//! the known answers of NIST SP 800-38A (ECB and CBC, AES-128 and AES-256): key import from
//! a key data blob, the chaining mode set on the provider or on the key, the IV carried from
//! call to call in CBC, PKCS #7 padding, the size queries and the refusals.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::*;

use portcullis_hle::exports::Dll;

const KSEC: Dll = Dll::Ksecdd;
const CNG: Dll = Dll::Cng;
const BLOCK_PADDING: u64 = 1;
const STATUS_INVALID_HANDLE: u32 = 0xC000_0008;
const STATUS_INVALID_PARAMETER: u32 = 0xC000_000D;
const STATUS_BUFFER_TOO_SMALL: u32 = 0xC000_0023;
const STATUS_NOT_SUPPORTED: u32 = 0xC000_00BB;
const STATUS_INVALID_BUFFER_SIZE: u32 = 0xC000_0206;

const KEY128: &str = "2b7e151628aed2a6abf7158809cf4f3c";
const KEY256: &str = "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4";
const PLAIN: &str = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51";
const ECB128: &str = "3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf";
const ECB256_FIRST: &str = "f3eed1bdb5d2a03c064b5a7e3db181f8";
const IV: &str = "000102030405060708090a0b0c0d0e0f";
const CBC128: &str = "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2";

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn st(fx: &mut Fx, dll: Dll, name: &str, args: &[u64]) -> u32 {
    fx.call(dll, name, args).unwrap() as u32
}

fn wide(s: &str) -> Vec<u8> {
    s.encode_utf16().chain([0]).flat_map(|u| u.to_le_bytes()).collect()
}

fn aes(fx: &mut Fx, dll: Dll) -> u64 {
    let (out, id) = (fx.alloc(8), fx.wstr("AES"));
    assert_eq!(st(fx, dll, "BCryptOpenAlgorithmProvider", &[out, id, 0, 0]), 0);
    fx.read_ptr(out)
}

fn set_mode(fx: &mut Fx, dll: Dll, h: u64, mode: &str) -> u32 {
    let (name, value) = (fx.wstr("ChainingMode"), wide(mode));
    let v = fx.put(&value);
    st(fx, dll, "BCryptSetProperty", &[h, name, v, value.len() as u64, 0])
}

fn import(fx: &mut Fx, dll: Dll, alg: u64, key: &[u8]) -> u64 {
    let mut blob = [0x4d42_444bu32, 1, key.len() as u32].iter().flat_map(|w| w.to_le_bytes()).collect::<Vec<u8>>();
    blob.extend_from_slice(key);
    let (out, ty, b) = (fx.alloc(8), fx.wstr("KeyDataBlob"), fx.put(&blob));
    let object = fx.alloc(0x400);
    let args = [alg, 0, ty, out, object, 0x400, b, blob.len() as u64, 0];
    assert_eq!(st(fx, dll, "BCryptImportKey", &args), 0, "{:?}", fx.arch);
    fx.read_ptr(out)
}

/// BCryptDecrypt (or BCryptEncrypt): (status, output, *pcbResult).
#[allow(clippy::too_many_arguments)]
fn run(
    fx: &mut Fx,
    dll: Dll,
    name: &str,
    key: u64,
    input: &[u8],
    iv: u64,
    out_len: u64,
    flags: u64,
) -> (u32, Vec<u8>, u32) {
    // No output length: no output buffer (the size query).
    let (i, o, r) = (fx.put(input), if out_len == 0 { 0 } else { fx.alloc(out_len) }, fx.alloc(4));
    let iv_len = if iv == 0 { 0 } else { 16 };
    let args = [key, i, input.len() as u64, 0, iv, iv_len, o, out_len, r, flags];
    let s = st(fx, dll, name, &args);
    let n = fx.k.mem().read_u32(r).unwrap();
    (s, if o == 0 { vec![] } else { fx.read(o, n.min(out_len as u32) as usize) }, n)
}

#[test]
fn aes_decrypts_the_known_answers_through_cng() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let alg = aes(&mut fx, CNG);
        // ECB, set on the provider before the import: the key takes it.
        assert_eq!(set_mode(&mut fx, CNG, alg, "ChainingModeECB"), 0, "{arch:?}");
        let key = import(&mut fx, CNG, alg, &hex(KEY128));
        let (s, out, n) = run(&mut fx, CNG, "BCryptDecrypt", key, &hex(ECB128), 0, 32, 0);
        assert_eq!((s, n), (0, 32), "{arch:?}");
        assert_eq!(out, hex(PLAIN), "{arch:?}: ECB-AES128");
        let key256 = import(&mut fx, CNG, alg, &hex(KEY256));
        let (_, out, _) = run(&mut fx, CNG, "BCryptDecrypt", key256, &hex(ECB256_FIRST), 0, 16, 0);
        assert_eq!(out, hex(&PLAIN[..32]), "{arch:?}: ECB-AES256");

        // CBC on the key, in two calls: the IV buffer carries the chain.
        assert_eq!(set_mode(&mut fx, CNG, key, "ChainingModeCBC"), 0, "{arch:?}");
        let iv = fx.put(&hex(IV));
        let c = hex(CBC128);
        let (s, first, _) = run(&mut fx, CNG, "BCryptDecrypt", key, &c[..16], iv, 16, 0);
        assert_eq!(s, 0, "{arch:?}");
        assert_eq!(fx.read(iv, 16), c[..16], "{arch:?}: the IV is the last ciphertext block");
        let (_, second, _) = run(&mut fx, CNG, "BCryptDecrypt", key, &c[16..], iv, 16, 0);
        assert_eq!([first, second].concat(), hex(PLAIN), "{arch:?}: CBC-AES128");

        // The refusals.
        let (s, _, _) = run(&mut fx, CNG, "BCryptDecrypt", key, &c, 0, 32, 0);
        assert_eq!(s, STATUS_INVALID_PARAMETER, "{arch:?}: CBC without an IV");
        let (s, _, _) = run(&mut fx, CNG, "BCryptDecrypt", key, &c[..15], iv, 32, 0);
        assert_eq!(s, STATUS_INVALID_BUFFER_SIZE, "{arch:?}");
        let (s, _, n) = run(&mut fx, CNG, "BCryptDecrypt", key, &c, iv, 16, 0);
        assert_eq!((s, n), (STATUS_BUFFER_TOO_SMALL, 32), "{arch:?}");
        let (s, _, _) = run(&mut fx, CNG, "BCryptDecrypt", alg, &c, iv, 32, 0);
        assert_eq!(s, STATUS_INVALID_HANDLE, "{arch:?}: a provider is no key");
        assert_eq!(set_mode(&mut fx, CNG, key, "ChainingModeGCM"), STATUS_NOT_SUPPORTED, "{arch:?}");
        assert_eq!(set_mode(&mut fx, CNG, key, "ChainingModeXYZ"), STATUS_INVALID_PARAMETER, "{arch:?}");
        let sha = {
            let (out, id) = (fx.alloc(8), fx.wstr("SHA256"));
            assert_eq!(st(&mut fx, CNG, "BCryptOpenAlgorithmProvider", &[out, id, 0, 0]), 0);
            fx.read_ptr(out)
        };
        assert_eq!(set_mode(&mut fx, CNG, sha, "ChainingModeECB"), STATUS_NOT_SUPPORTED, "{arch:?}");
        let mut blob = [0x4d42_444bu32, 1, 20].iter().flat_map(|w| w.to_le_bytes()).collect::<Vec<u8>>();
        blob.extend([0u8; 20]);
        let (out, ty, b) = (fx.alloc(8), fx.wstr("KeyDataBlob"), fx.put(&blob));
        let args = [alg, 0, ty, out, 0, 0, b, blob.len() as u64, 0];
        assert_eq!(st(&mut fx, CNG, "BCryptImportKey", &args), STATUS_INVALID_PARAMETER, "{arch:?}: 160 bits");
        let small = fx.alloc(8);
        let args = [alg, 0, ty, out, small, 8, b, blob.len() as u64, 0];
        assert_eq!(st(&mut fx, CNG, "BCryptImportKey", &args), STATUS_BUFFER_TOO_SMALL, "{arch:?}");
        let args = [sha, 0, ty, out, 0, 0, b, blob.len() as u64, 0];
        assert_eq!(st(&mut fx, CNG, "BCryptImportKey", &args), STATUS_NOT_SUPPORTED, "{arch:?}");

        for k in [key, key256] {
            assert_eq!(st(&mut fx, CNG, "BCryptDestroyKey", &[k]), 0);
        }
        assert_eq!(st(&mut fx, CNG, "BCryptCloseAlgorithmProvider", &[alg, 0]), 0);
        assert_eq!(st(&mut fx, CNG, "BCryptCloseAlgorithmProvider", &[sha, 0]), 0);
    }
}

#[test]
fn padded_messages_round_trip_through_ksecdd() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let alg = aes(&mut fx, KSEC);
        let key = import(&mut fx, KSEC, alg, &hex(KEY128));
        let iv_bytes = hex(IV);
        // CBC (the default) with PKCS #7: 20 bytes take two blocks; 16 take two as well.
        for message in [&b"portcullis, twenty!!"[..], &b"exactly 16 bytes"[..]] {
            let iv = fx.put(&iv_bytes);
            let (s, _, need) = run(&mut fx, KSEC, "BCryptEncrypt", key, message, iv, 0, BLOCK_PADDING);
            assert_eq!((s, need), (0, 32), "{arch:?}: the size the output needs");
            let (s, cipher, n) = run(&mut fx, KSEC, "BCryptEncrypt", key, message, iv, 32, BLOCK_PADDING);
            assert_eq!((s, n), (0, 32), "{arch:?}");
            let iv = fx.put(&iv_bytes);
            let (s, plain, n) = run(&mut fx, KSEC, "BCryptDecrypt", key, &cipher, iv, 32, BLOCK_PADDING);
            assert_eq!((s, n as usize), (0, message.len()), "{arch:?}");
            assert_eq!(plain, message, "{arch:?}");
        }
        // The known answer's first block encrypts as SP 800-38A says.
        let iv = fx.put(&iv_bytes);
        let (_, cipher, _) = run(&mut fx, KSEC, "BCryptEncrypt", key, &hex(&PLAIN[..32]), iv, 16, 0);
        assert_eq!(cipher, hex(&CBC128[..32]), "{arch:?}");
        // Bad padding.
        let iv = fx.put(&iv_bytes);
        let (s, _, _) = run(&mut fx, KSEC, "BCryptDecrypt", key, &hex(CBC128), iv, 32, BLOCK_PADDING);
        assert_eq!(s, STATUS_INVALID_PARAMETER, "{arch:?}: the plaintext's last byte is no padding");
        // Properties of the provider and the key.
        let (n, out, len) = (fx.wstr("BlockLength"), fx.alloc(16), fx.alloc(4));
        assert_eq!(st(&mut fx, KSEC, "BCryptGetProperty", &[key, n, out, 4, len, 0]), 0);
        assert_eq!(fx.read(out, 4), [16, 0, 0, 0]);
        let n = fx.wstr("KeyLengths");
        assert_eq!(st(&mut fx, KSEC, "BCryptGetProperty", &[alg, n, out, 12, len, 0]), 0);
        assert_eq!(u32s(&fx.read(out, 12)), [128, 256, 64]);
        let (n, text) = (fx.wstr("ChainingMode"), fx.alloc(64));
        assert_eq!(st(&mut fx, KSEC, "BCryptGetProperty", &[key, n, text, 64, len, 0]), 0);
        assert_eq!(fx.read(text, 32), wide("ChainingModeCBC"));
        assert_eq!(st(&mut fx, KSEC, "BCryptDestroyKey", &[key]), 0);
        assert_eq!(st(&mut fx, KSEC, "BCryptDestroyKey", &[key]), STATUS_INVALID_HANDLE);
        assert_eq!(st(&mut fx, KSEC, "BCryptCloseAlgorithmProvider", &[alg, 0]), 0);
    }
}
