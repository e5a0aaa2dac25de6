//! Algorithm providers: BCryptOpenAlgorithmProvider, BCryptCloseAlgorithmProvider and
//! BCryptGetProperty.
#![allow(non_snake_case)]

use super::{
    insert, remove, symmetric, wide, Algorithm, Object, STATUS_BUFFER_TOO_SMALL, STATUS_INVALID_HANDLE,
    STATUS_NOT_FOUND,
};
use crate::kernel::{KResult, Kx};
use crate::types::{status, NtStatus, Ptr, PCWSTR};

/// BCRYPT_ALG_HANDLE_HMAC_FLAG.
const HMAC_FLAG: u32 = 0x8;
/// BCRYPT_PROV_DISPATCH: kernel callers may use the provider at DISPATCH_LEVEL.
const PROV_DISPATCH: u32 = 0x1;
/// MS_PRIMITIVE_PROVIDER, the one provider of these algorithms.
const PRIMITIVE_PROVIDER: &str = "Microsoft Primitive Provider";

/// The size of a hash object (BCRYPT_OBJECT_LENGTH) this provider asks callers for: a
/// header, the chaining state and a block of pending input.
fn hash_object_len(a: Algorithm) -> Option<u32> {
    let state = match a {
        Algorithm::Md5 => 16,
        Algorithm::Sha1 => 20,
        Algorithm::Sha256 => 32,
        Algorithm::Sha384 | Algorithm::Sha512 => 64,
        Algorithm::Rsa | Algorithm::Aes => return None,
    };
    Some(0x40 + state + a.block_len()?)
}

/// NTSTATUS BCryptOpenAlgorithmProvider(BCRYPT_ALG_HANDLE *phAlgorithm, LPCWSTR pszAlgId,
/// LPCWSTR pszImplementation, ULONG dwFlags)
pub fn BCryptOpenAlgorithmProvider(
    k: &mut Kx,
    out: Ptr,
    alg_id: PCWSTR,
    implementation: PCWSTR,
    flags: u32,
) -> KResult<NtStatus> {
    if out.0 == 0 || alg_id.0 == 0 || flags & !(HMAC_FLAG | PROV_DISPATCH) != 0 {
        return Ok(status::INVALID_PARAMETER);
    }
    let id = wide(k, alg_id.0)?;
    let Some(algorithm) = Algorithm::from_id(&id) else { return Ok(STATUS_NOT_FOUND) };
    if implementation.0 != 0 && wide(k, implementation.0)? != PRIMITIVE_PROVIDER {
        return Ok(STATUS_NOT_FOUND);
    }
    let hmac = flags & HMAC_FLAG != 0;
    if hmac && matches!(algorithm, Algorithm::Rsa | Algorithm::Aes) {
        return Ok(STATUS_NOT_FOUND);
    }
    k.mem().read_ptr(out.0)?;
    let chaining = super::symmetric::Chaining::Cbc;
    let h = insert(k, Object::Provider { algorithm, hmac, chaining }, b"BCal")?;
    k.mem_mut().write_ptr(out.0, h)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS BCryptCloseAlgorithmProvider(BCRYPT_ALG_HANDLE hAlgorithm, ULONG dwFlags)
pub fn BCryptCloseAlgorithmProvider(k: &mut Kx, handle: Ptr, _flags: u32) -> KResult<NtStatus> {
    if !matches!(k.ext().cng.objects.get(&handle.0), Some(Object::Provider { .. })) {
        return Ok(STATUS_INVALID_HANDLE);
    }
    remove(k, handle.0)?;
    Ok(status::SUCCESS)
}

/// What a property of an object reads as.
enum Value {
    Dword(u32),
    Text(&'static str),
    Dwords(Vec<u32>),
}

fn property(k: &Kx, handle: u64, name: &str) -> Option<Option<Value>> {
    let algorithm = match k.ext().cng.objects.get(&handle)? {
        Object::Provider { algorithm: Algorithm::Aes, chaining, .. } => {
            return Some(match name {
                "AlgorithmName" => Some(Value::Text("AES")),
                "ObjectLength" => Some(Value::Dword(symmetric::KEY_OBJECT_LEN)),
                "BlockLength" => Some(Value::Dword(symmetric::BLOCK)),
                "ChainingMode" => Some(Value::Text(chaining.name())),
                // BCRYPT_KEY_LENGTHS_STRUCT: 128 to 256 bits by 64.
                "KeyLengths" => Some(Value::Dwords(vec![128, 256, 64])),
                _ => None,
            });
        }
        Object::SymmetricKey(key) => {
            return Some(match name {
                "AlgorithmName" => Some(Value::Text("AES")),
                "KeyLength" | "KeyStrength" => Some(Value::Dword(key.bits())),
                "BlockLength" => Some(Value::Dword(symmetric::BLOCK)),
                "ChainingMode" => Some(Value::Text(key.chaining.name())),
                _ => None,
            })
        }
        Object::Provider { algorithm, .. } => *algorithm,
        Object::Hash(h) => h.algorithm,
        Object::Key(key) => {
            return Some(match name {
                "AlgorithmName" => Some(Value::Text("RSA")),
                "KeyLength" | "KeyStrength" => Some(Value::Dword(key.bits())),
                _ => None,
            })
        }
    };
    Some(match name {
        "AlgorithmName" => Some(Value::Text(algorithm.id())),
        "ObjectLength" => hash_object_len(algorithm).map(Value::Dword),
        "HashDigestLength" => algorithm.digest_len().map(Value::Dword),
        "HashBlockLength" => algorithm.block_len().map(Value::Dword),
        _ => None,
    })
}

/// NTSTATUS BCryptGetProperty(BCRYPT_HANDLE hObject, LPCWSTR pszProperty, PUCHAR pbOutput,
/// ULONG cbOutput, ULONG *pcbResult, ULONG dwFlags): the value's size in *pcbResult; the
/// value too when pbOutput has room (STATUS_BUFFER_TOO_SMALL when it has not).
pub fn BCryptGetProperty(
    k: &mut Kx,
    handle: Ptr,
    name: PCWSTR,
    output: Ptr,
    output_len: u32,
    result: Ptr,
    _flags: u32,
) -> KResult<NtStatus> {
    if name.0 == 0 || result.0 == 0 {
        return Ok(status::INVALID_PARAMETER);
    }
    let name = wide(k, name.0)?;
    let value = match property(k, handle.0, &name) {
        None => return Ok(STATUS_INVALID_HANDLE),
        Some(None) => return Ok(status::NOT_SUPPORTED),
        Some(Some(v)) => v,
    };
    let bytes: Vec<u8> = match value {
        Value::Dword(v) => v.to_le_bytes().to_vec(),
        Value::Text(t) => t.encode_utf16().chain([0]).flat_map(|u| u.to_le_bytes()).collect(),
        Value::Dwords(v) => v.iter().flat_map(|d| d.to_le_bytes()).collect(),
    };
    k.mem_mut().write_u32(result.0, bytes.len() as u32)?;
    if output.0 == 0 {
        return Ok(status::SUCCESS);
    }
    if (output_len as usize) < bytes.len() {
        return Ok(STATUS_BUFFER_TOO_SMALL);
    }
    k.mem_mut().write(output.0, &bytes)?;
    Ok(status::SUCCESS)
}

/// The object length a hash object of `a` needs.
pub(crate) fn object_len(a: Algorithm) -> u32 {
    hash_object_len(a).unwrap_or(0)
}
