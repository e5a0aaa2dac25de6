//! ksecdd.sys / cng.sys: the kernel-mode Cryptography API: Next Generation routines drivers
//! use to hash and to check signatures. Algorithm providers (BCryptOpenAlgorithmProvider)
//! for MD5, SHA-1, SHA-256, SHA-384, SHA-512 (plain or HMAC) and RSA; hash objects that hash
//! with the real algorithms (`md-5`, `sha1`, `sha2`); RSA public keys imported from an
//! RSAPUBLICBLOB and PKCS #1 v1.5 signature verification (`rsa`); AES keys imported from a
//! key data blob, encrypting and decrypting in ECB or CBC mode (`aes`).
//!
//! A handle is the address of a small block of kernel pool, as CNG's handles are pointers
//! to its objects; what the object holds is kept here, by handle. A handle that names no
//! live object of the right kind is STATUS_INVALID_HANDLE.
#![allow(non_snake_case)]

pub mod hash;
pub mod key;
pub mod logon;
pub mod provider;
pub mod symmetric;

use std::collections::BTreeMap;

use crate::kernel::{KResult, Kx};
use crate::types::NtStatus;

pub const STATUS_INVALID_HANDLE: NtStatus = NtStatus(0xC000_0008);
pub const STATUS_BUFFER_TOO_SMALL: NtStatus = NtStatus(0xC000_0023);
pub const STATUS_NOT_FOUND: NtStatus = NtStatus(0xC000_0225);
pub const STATUS_INVALID_SIGNATURE: NtStatus = NtStatus(0xC000_A000);

/// An algorithm a provider implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    Md5,
    Sha1,
    Sha256,
    Sha384,
    Sha512,
    Rsa,
    Aes,
}

impl Algorithm {
    /// The identifier BCryptOpenAlgorithmProvider takes (BCRYPT_*_ALGORITHM).
    pub fn id(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
            Algorithm::Sha384 => "SHA384",
            Algorithm::Sha512 => "SHA512",
            Algorithm::Rsa => "RSA",
            Algorithm::Aes => "AES",
        }
    }

    pub fn from_id(id: &str) -> Option<Algorithm> {
        [
            Algorithm::Md5,
            Algorithm::Sha1,
            Algorithm::Sha256,
            Algorithm::Sha384,
            Algorithm::Sha512,
            Algorithm::Rsa,
            Algorithm::Aes,
        ]
        .into_iter()
        .find(|a| a.id() == id)
    }

    /// Digest length in bytes (hash algorithms).
    pub fn digest_len(self) -> Option<u32> {
        match self {
            Algorithm::Md5 => Some(16),
            Algorithm::Sha1 => Some(20),
            Algorithm::Sha256 => Some(32),
            Algorithm::Sha384 => Some(48),
            Algorithm::Sha512 => Some(64),
            Algorithm::Rsa | Algorithm::Aes => None,
        }
    }

    /// Input block length in bytes (hash algorithms; what HMAC pads the key to).
    pub fn block_len(self) -> Option<u32> {
        match self {
            Algorithm::Md5 | Algorithm::Sha1 | Algorithm::Sha256 => Some(64),
            Algorithm::Sha384 | Algorithm::Sha512 => Some(128),
            Algorithm::Rsa | Algorithm::Aes => None,
        }
    }
}

/// What a handle names.
pub enum Object {
    /// An algorithm provider; `chaining` is what AES keys imported from it start with.
    Provider {
        algorithm: Algorithm,
        hmac: bool,
        chaining: symmetric::Chaining,
    },
    Hash(hash::HashObject),
    Key(key::RsaKey),
    SymmetricKey(symmetric::AesKey),
}

/// The live CNG objects, by handle.
#[derive(Default)]
pub struct Cng {
    pub objects: BTreeMap<u64, Object>,
}

impl std::fmt::Debug for Cng {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Cng({} objects)", self.objects.len())
    }
}

/// A new handle for `object`: a block of kernel pool.
pub(crate) fn insert(k: &mut Kx, object: Object, tag: &[u8; 4]) -> KResult<u64> {
    let h = crate::ex::pool::kernel_alloc(k, 16, tag)?;
    k.ext_mut().cng.objects.insert(h, object);
    Ok(h)
}

/// Drops the object `h` names and frees its block.
pub(crate) fn remove(k: &mut Kx, h: u64) -> KResult<()> {
    if k.ext_mut().cng.objects.remove(&h).is_some() {
        crate::ex::pool::free(k, h, None, 0)?;
    }
    Ok(())
}

/// A NUL-terminated wide string argument, at most 256 characters.
pub(crate) fn wide(k: &Kx, at: u64) -> KResult<String> {
    let units = crate::rtl::crt::wstr(k, at)?;
    Ok(String::from_utf16_lossy(&units[..units.len().min(256)]))
}
