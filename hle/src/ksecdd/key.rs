//! RSA keys: BCryptImportKeyPair (the public part of an RSAPUBLICBLOB, RSAPRIVATEBLOB or
//! RSAFULLPRIVATEBLOB), BCryptVerifySignature with PKCS #1 v1.5 padding, BCryptDestroyKey.
//! PSS padding and the other blob formats are not implemented: STATUS_NOT_SUPPORTED.
#![allow(non_snake_case)]

use rsa::pkcs1v15::Pkcs1v15Sign;
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, RsaPublicKey};

use super::{insert, remove, wide, Algorithm, Object, STATUS_INVALID_HANDLE, STATUS_INVALID_SIGNATURE};
use crate::kernel::{KResult, Kx};
use crate::types::{status, NtStatus, Ptr, PCWSTR};

/// BCRYPT_RSAPUBLIC_MAGIC, BCRYPT_RSAPRIVATE_MAGIC, BCRYPT_RSAFULLPRIVATE_MAGIC.
const MAGICS: [u32; 3] = [0x3141_5352, 0x3241_5352, 0x3341_5352];
/// BCRYPT_PAD_PKCS1, BCRYPT_PAD_PSS.
const PAD_PKCS1: u32 = 0x2;
const PAD_PSS: u32 = 0x8;
/// Moduli (and signatures) of at most 2048 bytes: 16384-bit keys.
const MAX_MODULUS: u32 = 2048;

pub struct RsaKey {
    key: RsaPublicKey,
}

impl RsaKey {
    pub fn bits(&self) -> u32 {
        self.key.n().bits() as u32
    }
}

/// The DER DigestInfo prefix PKCS #1 v1.5 puts before a digest of `a`.
fn digest_info(a: Algorithm) -> &'static [u8] {
    match a {
        Algorithm::Md5 => &[
            0x30, 0x20, 0x30, 0x0c, 0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x05, 0x05, 0x00, 0x04, 0x10,
        ],
        Algorithm::Sha1 => &[0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14],
        Algorithm::Sha256 => &[
            0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04,
            0x20,
        ],
        Algorithm::Sha384 => &[
            0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04,
            0x30,
        ],
        Algorithm::Sha512 => &[
            0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04,
            0x40,
        ],
        Algorithm::Rsa | Algorithm::Aes => &[],
    }
}

/// NTSTATUS BCryptImportKeyPair(BCRYPT_ALG_HANDLE hAlgorithm, BCRYPT_KEY_HANDLE hImportKey,
/// LPCWSTR pszBlobType, BCRYPT_KEY_HANDLE *phKey, PUCHAR pbInput, ULONG cbInput, ULONG dwFlags)
pub fn BCryptImportKeyPair(
    k: &mut Kx,
    algorithm: Ptr,
    import_key: Ptr,
    blob_type: PCWSTR,
    out: Ptr,
    input: Ptr,
    input_len: u32,
    _flags: u32,
) -> KResult<NtStatus> {
    match k.ext().cng.objects.get(&algorithm.0) {
        Some(Object::Provider { algorithm: Algorithm::Rsa, .. }) => {}
        Some(Object::Provider { .. }) => return Ok(status::NOT_SUPPORTED),
        _ => return Ok(STATUS_INVALID_HANDLE),
    }
    if import_key.0 != 0 || out.0 == 0 || blob_type.0 == 0 || input.0 == 0 {
        return Ok(status::INVALID_PARAMETER);
    }
    let blob = wide(k, blob_type.0)?;
    if !matches!(blob.as_str(), "RSAPUBLICBLOB" | "RSAPRIVATEBLOB" | "RSAFULLPRIVATEBLOB") {
        return Ok(status::NOT_SUPPORTED);
    }
    if input_len < 24 {
        return Ok(status::INVALID_PARAMETER);
    }
    // BCRYPT_RSAKEY_BLOB: Magic, BitLength, cbPublicExp, cbModulus, cbPrime1, cbPrime2; then
    // the exponent and the modulus, big-endian.
    let header = k.mem().read_vec(input.0, 24)?;
    let word = |i: usize| u32::from_le_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]);
    let (magic, exp_len, mod_len) = (word(0), word(8), word(12));
    let expected = if blob == "RSAPUBLICBLOB" {
        MAGICS[0]
    } else if blob == "RSAPRIVATEBLOB" {
        MAGICS[1]
    } else {
        MAGICS[2]
    };
    if magic != expected || exp_len == 0 || exp_len > 8 || mod_len == 0 || mod_len > MAX_MODULUS {
        return Ok(status::INVALID_PARAMETER);
    }
    if (input_len as u64) < 24 + exp_len as u64 + mod_len as u64 {
        return Ok(status::INVALID_PARAMETER);
    }
    let e = k.mem().read_vec(input.0 + 24, exp_len as u64)?;
    let n = k.mem().read_vec(input.0 + 24 + exp_len as u64, mod_len as u64)?;
    let Ok(key) = RsaPublicKey::new(BigUint::from_bytes_be(&n), BigUint::from_bytes_be(&e)) else {
        return Ok(status::INVALID_PARAMETER);
    };
    k.mem().read_ptr(out.0)?;
    let h = insert(k, Object::Key(RsaKey { key }), b"BCky")?;
    k.mem_mut().write_ptr(out.0, h)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS BCryptVerifySignature(BCRYPT_KEY_HANDLE hKey, VOID *pPaddingInfo, PUCHAR pbHash,
/// ULONG cbHash, PUCHAR pbSignature, ULONG cbSignature, ULONG dwFlags): STATUS_SUCCESS or
/// STATUS_INVALID_SIGNATURE. PKCS #1 v1.5: the padding information names the hash algorithm
/// whose DigestInfo precedes the hash (none when NULL or its pszAlgId is NULL).
pub fn BCryptVerifySignature(
    k: &mut Kx,
    key: Ptr,
    padding: Ptr,
    hash: Ptr,
    hash_len: u32,
    signature: Ptr,
    signature_len: u32,
    flags: u32,
) -> KResult<NtStatus> {
    if !matches!(k.ext().cng.objects.get(&key.0), Some(Object::Key(_))) {
        return Ok(STATUS_INVALID_HANDLE);
    }
    if flags & PAD_PSS != 0 {
        return Ok(status::NOT_SUPPORTED);
    }
    if flags & PAD_PKCS1 == 0 || hash.0 == 0 || signature.0 == 0 || hash_len > 64 || signature_len > MAX_MODULUS {
        return Ok(status::INVALID_PARAMETER);
    }
    let alg_id = if padding.0 == 0 { 0 } else { k.mem().read_ptr(padding.0)? };
    let prefix: &[u8] = if alg_id == 0 {
        &[]
    } else {
        match Algorithm::from_id(&wide(k, alg_id)?) {
            Some(a) if a.digest_len() == Some(hash_len) => digest_info(a),
            Some(_) => return Ok(status::INVALID_PARAMETER),
            None => return Ok(status::NOT_SUPPORTED),
        }
    };
    let hashed = k.mem().read_vec(hash.0, hash_len as u64)?;
    let sig = k.mem().read_vec(signature.0, signature_len as u64)?;
    let Some(Object::Key(rsa_key)) = k.ext().cng.objects.get(&key.0) else { return Ok(STATUS_INVALID_HANDLE) };
    let scheme = Pkcs1v15Sign { hash_len: Some(hashed.len()), prefix: prefix.into() };
    Ok(match rsa_key.key.verify(scheme, &hashed, &sig) {
        Ok(()) => status::SUCCESS,
        Err(_) => STATUS_INVALID_SIGNATURE,
    })
}

/// NTSTATUS BCryptDestroyKey(BCRYPT_KEY_HANDLE hKey)
pub fn BCryptDestroyKey(k: &mut Kx, key: Ptr) -> KResult<NtStatus> {
    if !matches!(k.ext().cng.objects.get(&key.0), Some(Object::Key(_) | Object::SymmetricKey(_))) {
        return Ok(STATUS_INVALID_HANDLE);
    }
    remove(k, key.0)?;
    Ok(status::SUCCESS)
}
