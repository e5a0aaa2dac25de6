//! AES keys: BCryptImportKey (a BCRYPT_KEY_DATA_BLOB of 128, 192 or 256 bits),
//! BCryptSetProperty of the chaining mode (on the provider, which keys imported later take,
//! or on a key), BCryptEncrypt and BCryptDecrypt in ECB or CBC mode, with or without PKCS #7
//! block padding (BCRYPT_BLOCK_PADDING), with the real cipher (`aes`).
//!
//! CBC takes its IV in pbIV (one block) and leaves the last ciphertext block there, so that
//! a message can be processed in pieces, as CNG does; ECB ignores pbIV. The other chaining
//! modes (CFB, CCM, GCM) are not implemented: STATUS_NOT_SUPPORTED.
#![allow(non_snake_case)]

use aes::cipher::generic_array::GenericArray;
use aes::cipher::{BlockDecrypt, BlockEncrypt, KeyInit};

use super::{insert, wide, Algorithm, Object, STATUS_BUFFER_TOO_SMALL, STATUS_INVALID_HANDLE};
use crate::kernel::{KResult, Kx};
use crate::types::{status, NtStatus, Ptr, PCWSTR};

/// AES's block.
pub const BLOCK: u32 = 16;
/// BCRYPT_KEY_DATA_BLOB_MAGIC ('KDBM') and version 1.
const KEY_DATA_BLOB_MAGIC: u32 = 0x4d42_444b;
const KEY_DATA_BLOB_VERSION: u32 = 1;
/// BCRYPT_BLOCK_PADDING.
const BLOCK_PADDING: u32 = 0x1;
/// STATUS_INVALID_BUFFER_SIZE: input that is not whole blocks without padding.
const STATUS_INVALID_BUFFER_SIZE: NtStatus = NtStatus(0xC000_0206);
/// Largest message handled in one call.
const MAX_MESSAGE: u32 = 16 << 20;

/// A chaining mode (BCRYPT_CHAINING_MODE).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chaining {
    Ecb,
    Cbc,
}

impl Chaining {
    pub fn name(self) -> &'static str {
        match self {
            Chaining::Ecb => "ChainingModeECB",
            Chaining::Cbc => "ChainingModeCBC",
        }
    }
}

/// The chaining modes CNG names: Some(mode) for those implemented, None for the others.
fn chaining_by_name(name: &str) -> Option<Option<Chaining>> {
    match name {
        "ChainingModeECB" => Some(Some(Chaining::Ecb)),
        "ChainingModeCBC" => Some(Some(Chaining::Cbc)),
        "ChainingModeCFB" | "ChainingModeCCM" | "ChainingModeGCM" | "ChainingModeN/A" => Some(None),
        _ => None,
    }
}

pub struct AesKey {
    key: Vec<u8>,
    pub chaining: Chaining,
}

impl AesKey {
    pub fn bits(&self) -> u32 {
        self.key.len() as u32 * 8
    }

    /// Runs the cipher over whole blocks in place; `iv` is the chaining value (CBC).
    fn run(&self, data: &mut [u8], iv: &mut [u8; 16], encrypt: bool) {
        macro_rules! with {
            ($c:ty) => {{
                let c = <$c>::new(GenericArray::from_slice(&self.key));
                for block in data.chunks_exact_mut(16) {
                    let b = GenericArray::from_mut_slice(block);
                    match (self.chaining, encrypt) {
                        (Chaining::Ecb, true) => c.encrypt_block(b),
                        (Chaining::Ecb, false) => c.decrypt_block(b),
                        (Chaining::Cbc, true) => {
                            b.iter_mut().zip(iv.iter()).for_each(|(x, v)| *x ^= v);
                            c.encrypt_block(b);
                            iv.copy_from_slice(b);
                        }
                        (Chaining::Cbc, false) => {
                            let cipher: [u8; 16] = (*b).into();
                            c.decrypt_block(b);
                            b.iter_mut().zip(iv.iter()).for_each(|(x, v)| *x ^= v);
                            *iv = cipher;
                        }
                    }
                }
            }};
        }
        match self.key.len() {
            16 => with!(aes::Aes128),
            24 => with!(aes::Aes192),
            _ => with!(aes::Aes256),
        }
    }
}

/// The size of a key object this provider asks callers for (BCRYPT_OBJECT_LENGTH): a header
/// and the expanded encryption and decryption schedules.
pub const KEY_OBJECT_LEN: u32 = 0x40 + 2 * 240;

/// NTSTATUS BCryptImportKey(BCRYPT_ALG_HANDLE hAlgorithm, BCRYPT_KEY_HANDLE hImportKey,
/// LPCWSTR pszBlobType, BCRYPT_KEY_HANDLE *phKey, PUCHAR pbKeyObject, ULONG cbKeyObject,
/// PUCHAR pbInput, ULONG cbInput, ULONG dwFlags)
#[allow(clippy::too_many_arguments)]
pub fn BCryptImportKey(
    k: &mut Kx,
    algorithm: Ptr,
    import_key: Ptr,
    blob_type: PCWSTR,
    out: Ptr,
    key_object: Ptr,
    key_object_len: u32,
    input: Ptr,
    input_len: u32,
    _flags: u32,
) -> KResult<NtStatus> {
    let chaining = match k.ext().cng.objects.get(&algorithm.0) {
        Some(Object::Provider { algorithm: Algorithm::Aes, chaining, .. }) => *chaining,
        Some(Object::Provider { .. }) => return Ok(status::NOT_SUPPORTED),
        _ => return Ok(STATUS_INVALID_HANDLE),
    };
    if import_key.0 != 0 || out.0 == 0 || blob_type.0 == 0 || input.0 == 0 {
        return Ok(status::INVALID_PARAMETER);
    }
    if wide(k, blob_type.0)? != "KeyDataBlob" {
        return Ok(status::NOT_SUPPORTED);
    }
    if key_object.0 != 0 && key_object_len < KEY_OBJECT_LEN {
        return Ok(STATUS_BUFFER_TOO_SMALL);
    }
    // BCRYPT_KEY_DATA_BLOB_HEADER: dwMagic, dwVersion, cbKeyData; the key follows.
    if input_len < 12 {
        return Ok(status::INVALID_PARAMETER);
    }
    let header = k.mem().read_vec(input.0, 12)?;
    let word = |i: usize| u32::from_le_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]);
    let (magic, version, len) = (word(0), word(4), word(8));
    if magic != KEY_DATA_BLOB_MAGIC || version != KEY_DATA_BLOB_VERSION || !matches!(len, 16 | 24 | 32) {
        return Ok(status::INVALID_PARAMETER);
    }
    if (input_len as u64) < 12 + len as u64 {
        return Ok(status::INVALID_PARAMETER);
    }
    let key = k.mem().read_vec(input.0 + 12, len as u64)?;
    k.mem().read_ptr(out.0)?;
    let h = insert(k, Object::SymmetricKey(AesKey { key, chaining }), b"BCky")?;
    k.mem_mut().write_ptr(out.0, h)?;
    Ok(status::SUCCESS)
}

/// NTSTATUS BCryptSetProperty(BCRYPT_HANDLE hObject, LPCWSTR pszProperty, PUCHAR pbInput,
/// ULONG cbInput, ULONG dwFlags): BCRYPT_CHAINING_MODE of an AES provider or key.
pub fn BCryptSetProperty(
    k: &mut Kx,
    handle: Ptr,
    name: PCWSTR,
    input: Ptr,
    input_len: u32,
    _flags: u32,
) -> KResult<NtStatus> {
    if name.0 == 0 {
        return Ok(status::INVALID_PARAMETER);
    }
    let is_aes = match k.ext().cng.objects.get(&handle.0) {
        None => return Ok(STATUS_INVALID_HANDLE),
        Some(Object::Provider { algorithm, .. }) => *algorithm == Algorithm::Aes,
        Some(Object::SymmetricKey(_)) => true,
        Some(_) => false,
    };
    if !is_aes || wide(k, name.0)? != "ChainingMode" {
        return Ok(status::NOT_SUPPORTED);
    }
    if input.0 == 0 || input_len == 0 {
        return Ok(status::INVALID_PARAMETER);
    }
    let units: Vec<u16> = k
        .mem()
        .read_vec(input.0, input_len.min(512) as u64)?
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|u| *u != 0)
        .collect();
    let mode = match chaining_by_name(&String::from_utf16_lossy(&units)) {
        Some(Some(m)) => m,
        Some(None) => return Ok(status::NOT_SUPPORTED),
        None => return Ok(status::INVALID_PARAMETER),
    };
    match k.ext_mut().cng.objects.get_mut(&handle.0) {
        Some(Object::Provider { chaining, .. }) => *chaining = mode,
        Some(Object::SymmetricKey(key)) => key.chaining = mode,
        _ => return Ok(STATUS_INVALID_HANDLE),
    }
    Ok(status::SUCCESS)
}

/// BCryptEncrypt and BCryptDecrypt share their checks and their buffers' handling.
#[allow(clippy::too_many_arguments)]
fn crypt(
    k: &mut Kx,
    key: Ptr,
    input: Ptr,
    input_len: u32,
    padding_info: Ptr,
    iv: Ptr,
    iv_len: u32,
    output: Ptr,
    output_len: u32,
    result: Ptr,
    flags: u32,
    encrypt: bool,
) -> KResult<NtStatus> {
    let chaining = match k.ext().cng.objects.get(&key.0) {
        Some(Object::SymmetricKey(key)) => key.chaining,
        Some(Object::Key(_)) => return Ok(status::NOT_SUPPORTED),
        _ => return Ok(STATUS_INVALID_HANDLE),
    };
    if result.0 == 0 || padding_info.0 != 0 || flags & !BLOCK_PADDING != 0 || input_len > MAX_MESSAGE {
        return Ok(status::INVALID_PARAMETER);
    }
    let padded = flags & BLOCK_PADDING != 0;
    if !padded && !input_len.is_multiple_of(BLOCK) {
        return Ok(STATUS_INVALID_BUFFER_SIZE);
    }
    if !encrypt && (input_len == 0 && padded || !input_len.is_multiple_of(BLOCK)) {
        return Ok(STATUS_INVALID_BUFFER_SIZE);
    }
    let mut chain = [0u8; 16];
    if chaining == Chaining::Cbc {
        if iv.0 == 0 || iv_len != BLOCK {
            return Ok(status::INVALID_PARAMETER);
        }
        k.mem().read(iv.0, &mut chain)?;
    }
    // Encryption's output: the input padded to whole blocks (a whole block of padding when
    // it is whole already); decryption's: at most the input.
    let room = if encrypt && padded { (input_len / BLOCK + 1) * BLOCK } else { input_len };
    if output.0 == 0 {
        k.mem_mut().write_u32(result.0, room)?;
        return Ok(status::SUCCESS);
    }
    if output_len < room && (encrypt || !padded) {
        k.mem_mut().write_u32(result.0, room)?;
        return Ok(STATUS_BUFFER_TOO_SMALL);
    }
    let mut data = k.mem().read_vec(input.0, input_len as u64)?;
    if encrypt && padded {
        let pad = (BLOCK - input_len % BLOCK) as u8;
        data.resize(room as usize, pad);
    }
    let Some(Object::SymmetricKey(aes_key)) = k.ext().cng.objects.get(&key.0) else {
        return Ok(STATUS_INVALID_HANDLE);
    };
    aes_key.run(&mut data, &mut chain, encrypt);
    if !encrypt && padded {
        // PKCS #7: the last byte says how many bytes of padding, all of that value.
        let pad = *data.last().expect("a whole block") as usize;
        if pad == 0 || pad > BLOCK as usize || data[data.len() - pad..].iter().any(|b| *b as usize != pad) {
            return Ok(status::INVALID_PARAMETER);
        }
        data.truncate(data.len() - pad);
        if (output_len as usize) < data.len() {
            k.mem_mut().write_u32(result.0, data.len() as u32)?;
            return Ok(STATUS_BUFFER_TOO_SMALL);
        }
    }
    k.mem_mut().write(output.0, &data)?;
    k.mem_mut().write_u32(result.0, data.len() as u32)?;
    if chaining == Chaining::Cbc {
        k.mem_mut().write(iv.0, &chain)?;
    }
    Ok(status::SUCCESS)
}

/// NTSTATUS BCryptEncrypt(BCRYPT_KEY_HANDLE hKey, PUCHAR pbInput, ULONG cbInput, VOID
/// *pPaddingInfo, PUCHAR pbIV, ULONG cbIV, PUCHAR pbOutput, ULONG cbOutput, ULONG *pcbResult,
/// ULONG dwFlags): with pbOutput NULL, the size the output needs in *pcbResult.
#[allow(clippy::too_many_arguments)]
pub fn BCryptEncrypt(
    k: &mut Kx,
    key: Ptr,
    input: Ptr,
    input_len: u32,
    padding_info: Ptr,
    iv: Ptr,
    iv_len: u32,
    output: Ptr,
    output_len: u32,
    result: Ptr,
    flags: u32,
) -> KResult<NtStatus> {
    crypt(k, key, input, input_len, padding_info, iv, iv_len, output, output_len, result, flags, true)
}

/// NTSTATUS BCryptDecrypt(BCRYPT_KEY_HANDLE hKey, PUCHAR pbInput, ULONG cbInput, VOID
/// *pPaddingInfo, PUCHAR pbIV, ULONG cbIV, PUCHAR pbOutput, ULONG cbOutput, ULONG *pcbResult,
/// ULONG dwFlags): padding that is not PKCS #7 is STATUS_INVALID_PARAMETER.
#[allow(clippy::too_many_arguments)]
pub fn BCryptDecrypt(
    k: &mut Kx,
    key: Ptr,
    input: Ptr,
    input_len: u32,
    padding_info: Ptr,
    iv: Ptr,
    iv_len: u32,
    output: Ptr,
    output_len: u32,
    result: Ptr,
    flags: u32,
) -> KResult<NtStatus> {
    crypt(k, key, input, input_len, padding_info, iv, iv_len, output, output_len, result, flags, false)
}
