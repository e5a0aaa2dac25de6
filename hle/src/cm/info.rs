//! The information structures ZwQueryKey / ZwEnumerateKey and ZwQueryValueKey /
//! ZwEnumerateValueKey fill, and how a buffer too small for them is answered: below the
//! fixed part STATUS_BUFFER_TOO_SMALL and nothing written; otherwise as much as fits and
//! STATUS_BUFFER_OVERFLOW; the length the whole needs in ResultLength either way.

use super::{Registry, Value};
use crate::kernel::{KResult, Kx};
use crate::types::{status, NtStatus, Ptr};

/// KEY_INFORMATION_CLASS.
pub const KEY_BASIC_INFORMATION: u32 = 0;
pub const KEY_NODE_INFORMATION: u32 = 1;
pub const KEY_FULL_INFORMATION: u32 = 2;
pub const KEY_NAME_INFORMATION: u32 = 3;
pub const KEY_CACHED_INFORMATION: u32 = 4;

/// KEY_VALUE_INFORMATION_CLASS.
pub const KEY_VALUE_BASIC_INFORMATION: u32 = 0;
pub const KEY_VALUE_FULL_INFORMATION: u32 = 1;
pub const KEY_VALUE_PARTIAL_INFORMATION: u32 = 2;
pub const KEY_VALUE_FULL_INFORMATION_ALIGN64: u32 = 3;
pub const KEY_VALUE_PARTIAL_INFORMATION_ALIGN64: u32 = 4;

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
}

fn align(n: usize, to: usize) -> usize {
    n.div_ceil(to) * to
}

/// A structure and the length of its fixed part.
pub struct Info {
    pub bytes: Vec<u8>,
    pub fixed: usize,
}

struct W(Vec<u8>);

impl W {
    fn u32(mut self, v: u32) -> W {
        self.0.extend(v.to_le_bytes());
        self
    }
    fn u64(mut self, v: u64) -> W {
        self.0.extend(v.to_le_bytes());
        self
    }
    fn bytes(mut self, b: &[u8]) -> W {
        self.0.extend_from_slice(b);
        self
    }
}

/// A key's information of class `class` (None: a class the routine does not take).
pub fn key_info(reg: &Registry, id: usize, class: u32) -> Option<Info> {
    let n = reg.node(id);
    let name = utf16(&n.name);
    let class_bytes = n.class.as_deref().map(utf16).unwrap_or_default();
    let subkeys = reg.subkeys(id);
    let max_name = subkeys.iter().map(|s| reg.node(*s).name.encode_utf16().count() * 2).max().unwrap_or(0) as u32;
    let max_class = subkeys
        .iter()
        .map(|s| reg.node(*s).class.as_deref().map_or(0, |c| c.encode_utf16().count() * 2))
        .max()
        .unwrap_or(0) as u32;
    let max_value_name = n.values.iter().map(|v| v.name.encode_utf16().count() * 2).max().unwrap_or(0) as u32;
    let max_value_data = n.values.iter().map(|v| v.data.len()).max().unwrap_or(0) as u32;
    let w = W(Vec::new());
    Some(match class {
        KEY_BASIC_INFORMATION => {
            Info { bytes: w.u64(n.last_write).u32(0).u32(name.len() as u32).bytes(&name).0, fixed: 16 }
        }
        KEY_NODE_INFORMATION => {
            let class_offset = if n.class.is_some() { 24 + name.len() as u32 } else { u32::MAX };
            let bytes = w
                .u64(n.last_write)
                .u32(0)
                .u32(class_offset)
                .u32(class_bytes.len() as u32)
                .u32(name.len() as u32)
                .bytes(&name)
                .bytes(&class_bytes)
                .0;
            Info { bytes, fixed: 24 }
        }
        KEY_FULL_INFORMATION => {
            let class_offset = if n.class.is_some() { 44 } else { u32::MAX };
            let bytes = w
                .u64(n.last_write)
                .u32(0)
                .u32(class_offset)
                .u32(class_bytes.len() as u32)
                .u32(subkeys.len() as u32)
                .u32(max_name)
                .u32(max_class)
                .u32(n.values.len() as u32)
                .u32(max_value_name)
                .u32(max_value_data)
                .bytes(&class_bytes)
                .0;
            Info { bytes, fixed: 44 }
        }
        KEY_NAME_INFORMATION => {
            let path = utf16(&reg.path_of(id));
            Info { bytes: w.u32(path.len() as u32).bytes(&path).0, fixed: 4 }
        }
        KEY_CACHED_INFORMATION => {
            let bytes = w
                .u64(n.last_write)
                .u32(0)
                .u32(subkeys.len() as u32)
                .u32(max_name)
                .u32(n.values.len() as u32)
                .u32(max_value_name)
                .u32(max_value_data)
                .u32(name.len() as u32)
                .u32(0)
                .0;
            Info { bytes, fixed: 40 }
        }
        _ => return None,
    })
}

/// A value's information of class `class` (None: not a value information class).
pub fn value_info(v: &Value, class: u32) -> Option<Info> {
    let name = utf16(&v.name);
    let w = W(Vec::new());
    Some(match class {
        KEY_VALUE_BASIC_INFORMATION => {
            Info { bytes: w.u32(0).u32(v.ty).u32(name.len() as u32).bytes(&name).0, fixed: 12 }
        }
        KEY_VALUE_FULL_INFORMATION | KEY_VALUE_FULL_INFORMATION_ALIGN64 => {
            let to = if class == KEY_VALUE_FULL_INFORMATION { 4 } else { 8 };
            let offset = align(20 + name.len(), to);
            let mut bytes = w
                .u32(0)
                .u32(v.ty)
                .u32(if v.data.is_empty() { u32::MAX } else { offset as u32 })
                .u32(v.data.len() as u32)
                .u32(name.len() as u32)
                .bytes(&name)
                .0;
            if !v.data.is_empty() {
                bytes.resize(offset, 0);
                bytes.extend_from_slice(&v.data);
            }
            Info { bytes, fixed: 20 }
        }
        KEY_VALUE_PARTIAL_INFORMATION => {
            Info { bytes: w.u32(0).u32(v.ty).u32(v.data.len() as u32).bytes(&v.data).0, fixed: 12 }
        }
        KEY_VALUE_PARTIAL_INFORMATION_ALIGN64 => {
            Info { bytes: w.u32(v.ty).u32(v.data.len() as u32).bytes(&v.data).0, fixed: 8 }
        }
        _ => return None,
    })
}

/// Copies `info` into the caller's buffer of `length` bytes and writes the length it needs.
pub fn deliver(k: &mut Kx, info: &Info, buffer: Ptr, length: u32, result_length: Ptr) -> KResult<NtStatus> {
    let need = info.bytes.len();
    let length = length as usize;
    let st = if length < info.fixed {
        status::BUFFER_TOO_SMALL
    } else {
        let n = need.min(length);
        k.mem_mut().write(buffer.0, &info.bytes[..n])?;
        if n < need {
            status::BUFFER_OVERFLOW
        } else {
            status::SUCCESS
        }
    };
    // ResultLength is not optional: a NULL one faults as it would on Windows.
    k.mem_mut().write_u32(result_length.0, need as u32)?;
    Ok(st)
}
