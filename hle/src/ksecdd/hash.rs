//! Hash objects: BCryptCreateHash, BCryptHashData, BCryptFinishHash, BCryptDestroyHash. The
//! digest is computed with the real algorithm; a provider opened with
//! BCRYPT_ALG_HANDLE_HMAC_FLAG makes HMAC objects keyed with the secret (RFC 2104).
#![allow(non_snake_case)]

use sha2::digest::DynDigest;

use super::{insert, remove, Algorithm, Object, STATUS_BUFFER_TOO_SMALL, STATUS_INVALID_HANDLE};
use crate::kernel::{KResult, Kx};
use crate::types::{status, NtStatus, Ptr};

/// At most this much input is read per call (16 MiB).
const MAX_INPUT: u32 = 16 << 20;

pub struct HashObject {
    pub algorithm: Algorithm,
    pub hmac: bool,
    state: Box<dyn DynDigest>,
    /// HMAC: the key padded to the block, XORed with opad, for the outer hash.
    outer_key: Vec<u8>,
    finished: bool,
}

fn hasher(a: Algorithm) -> Box<dyn DynDigest> {
    match a {
        Algorithm::Md5 => Box::new(md5::Md5::default()),
        Algorithm::Sha1 => Box::new(sha1::Sha1::default()),
        Algorithm::Sha256 => Box::new(sha2::Sha256::default()),
        Algorithm::Sha384 => Box::new(sha2::Sha384::default()),
        Algorithm::Sha512 | Algorithm::Rsa | Algorithm::Aes => Box::new(sha2::Sha512::default()),
    }
}

/// The digest of `data` with `a` (for signature checks and HMAC keys).
pub(crate) fn digest(a: Algorithm, data: &[u8]) -> Vec<u8> {
    let mut h = hasher(a);
    h.update(data);
    h.finalize().to_vec()
}

impl HashObject {
    fn new(algorithm: Algorithm, hmac: bool, secret: &[u8]) -> HashObject {
        let mut state = hasher(algorithm);
        let mut outer_key = Vec::new();
        if hmac {
            let block = algorithm.block_len().unwrap_or(64) as usize;
            let mut key = if secret.len() > block { digest(algorithm, secret) } else { secret.to_vec() };
            key.resize(block, 0);
            let inner: Vec<u8> = key.iter().map(|b| b ^ 0x36).collect();
            outer_key = key.iter().map(|b| b ^ 0x5C).collect();
            state.update(&inner);
        }
        HashObject { algorithm, hmac, state, outer_key, finished: false }
    }

    fn finish(&mut self) -> Vec<u8> {
        self.finished = true;
        let inner = self.state.finalize_reset().to_vec();
        if !self.hmac {
            return inner;
        }
        let mut outer = hasher(self.algorithm);
        outer.update(&self.outer_key);
        outer.update(&inner);
        outer.finalize().to_vec()
    }
}

/// NTSTATUS BCryptCreateHash(BCRYPT_ALG_HANDLE hAlgorithm, BCRYPT_HASH_HANDLE *phHash,
/// PUCHAR pbHashObject, ULONG cbHashObject, PUCHAR pbSecret, ULONG cbSecret, ULONG dwFlags):
/// pbHashObject may be NULL (the provider keeps the object) or must hold ObjectLength bytes;
/// the secret keys an HMAC provider's objects and is ignored otherwise.
pub fn BCryptCreateHash(
    k: &mut Kx,
    algorithm: Ptr,
    out: Ptr,
    object: Ptr,
    object_len: u32,
    secret: Ptr,
    secret_len: u32,
    _flags: u32,
) -> KResult<NtStatus> {
    let (a, hmac) = match k.ext().cng.objects.get(&algorithm.0) {
        Some(Object::Provider { algorithm, hmac, .. }) => (*algorithm, *hmac),
        _ => return Ok(STATUS_INVALID_HANDLE),
    };
    if a.digest_len().is_none() {
        return Ok(status::NOT_SUPPORTED);
    }
    if out.0 == 0 {
        return Ok(status::INVALID_PARAMETER);
    }
    if object.0 != 0 && object_len < super::provider::object_len(a) {
        return Ok(STATUS_BUFFER_TOO_SMALL);
    }
    let key =
        if hmac && secret.0 != 0 { k.mem().read_vec(secret.0, secret_len.min(MAX_INPUT) as u64)? } else { Vec::new() };
    k.mem().read_ptr(out.0)?;
    let h = insert(k, Object::Hash(HashObject::new(a, hmac, &key)), b"BChs")?;
    k.mem_mut().write_ptr(out.0, h)?;
    Ok(status::SUCCESS)
}

fn live_hash(k: &mut Kx, handle: u64) -> Option<&mut HashObject> {
    match k.ext_mut().cng.objects.get_mut(&handle) {
        Some(Object::Hash(h)) if !h.finished => Some(h),
        _ => None,
    }
}

/// NTSTATUS BCryptHashData(BCRYPT_HASH_HANDLE hHash, PUCHAR pbInput, ULONG cbInput, ULONG dwFlags)
pub fn BCryptHashData(k: &mut Kx, handle: Ptr, input: Ptr, input_len: u32, _flags: u32) -> KResult<NtStatus> {
    if live_hash(k, handle.0).is_none() {
        return Ok(STATUS_INVALID_HANDLE);
    }
    if input_len > MAX_INPUT {
        return Ok(status::INVALID_PARAMETER);
    }
    let data = if input_len == 0 { Vec::new() } else { k.mem().read_vec(input.0, input_len as u64)? };
    if let Some(h) = live_hash(k, handle.0) {
        h.state.update(&data);
    }
    Ok(status::SUCCESS)
}

/// NTSTATUS BCryptFinishHash(BCRYPT_HASH_HANDLE hHash, PUCHAR pbOutput, ULONG cbOutput,
/// ULONG dwFlags): cbOutput must be the digest length; the object is done after.
pub fn BCryptFinishHash(k: &mut Kx, handle: Ptr, output: Ptr, output_len: u32, _flags: u32) -> KResult<NtStatus> {
    let Some(h) = live_hash(k, handle.0) else { return Ok(STATUS_INVALID_HANDLE) };
    if Some(output_len) != h.algorithm.digest_len() || output.0 == 0 {
        return Ok(status::INVALID_PARAMETER);
    }
    // Check the output is writable before the object is spent.
    k.mem().read_vec(output.0, output_len as u64)?;
    let Some(h) = live_hash(k, handle.0) else { return Ok(STATUS_INVALID_HANDLE) };
    let d = h.finish();
    k.mem_mut().write(output.0, &d)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS BCryptDestroyHash(BCRYPT_HASH_HANDLE hHash)
pub fn BCryptDestroyHash(k: &mut Kx, handle: Ptr) -> KResult<NtStatus> {
    if !matches!(k.ext().cng.objects.get(&handle.0), Some(Object::Hash(_))) {
        return Ok(STATUS_INVALID_HANDLE);
    }
    remove(k, handle.0)?;
    Ok(status::SUCCESS)
}
