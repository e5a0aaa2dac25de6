//! WDFSTRING (`wdfstring.h`): a UNICODE_STRING the framework owns. Assigning copies the text
//! into a pool buffer of exactly its length (MaximumLength = Length, as FxDuplicateUnicodeString
//! makes it); WdfStringGetUnicodeString hands out the structure, which points at that buffer
//! for as long as the object lives.
#![allow(non_snake_case)]

use super::object::{self, ObjectKind};
use super::violation;
use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, UNICODE_STRING};
use crate::types::{status, NtStatus, PUnicodeString, Ptr};

/// The framework's UNICODE_STRING of a WDFSTRING (kernel memory, the object's own).
fn structure(k: &Kx, handle: u64) -> u64 {
    k.ext().wdf.strings.get(&handle).copied().unwrap_or(0)
}

/// Makes a WDFSTRING (empty: Length 0, no buffer) with `attributes`: the handle.
pub(crate) fn create(k: &mut Kx, binding: usize, attributes: &object::Attributes) -> KResult<u64> {
    let parent = if attributes.parent != 0 { Some(attributes.parent) } else { None };
    let h = object::create(k, binding, ObjectKind::String, attributes, parent)?;
    let s = crate::ob::body::alloc(k, UNICODE_STRING::STRUCT.size(k.arch()))?;
    k.ext_mut().wdf.strings.insert(h, s);
    Ok(h)
}

/// Replaces the string's text with `units` (UTF-16).
pub(crate) fn assign(k: &mut Kx, handle: u64, units: &[u16]) -> KResult<()> {
    let s = structure(k, handle);
    let old = k.mem().get(s, UNICODE_STRING::Buffer)?;
    if old != 0 {
        crate::ex::pool::free(k, old, None, 0)?;
    }
    let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
    let buffer = if bytes.is_empty() {
        0
    } else {
        let b = crate::ex::pool::kernel_alloc(k, bytes.len() as u64, b"FxSt")?;
        k.mem_mut().write(b, &bytes)?;
        b
    };
    let m = k.mem_mut();
    m.set(s, UNICODE_STRING::Length, bytes.len() as u64)?;
    m.set(s, UNICODE_STRING::MaximumLength, bytes.len() as u64)?;
    m.set(s, UNICODE_STRING::Buffer, buffer)?;
    Ok(())
}

/// The object is deleted: its buffer and structure go.
pub(crate) fn destroy(k: &mut Kx, handle: u64) -> KResult<()> {
    let Some(s) = k.ext_mut().wdf.strings.remove(&handle) else { return Ok(()) };
    let buffer = k.mem().get(s, UNICODE_STRING::Buffer)?;
    if buffer != 0 {
        crate::ex::pool::free(k, buffer, None, 0)?;
    }
    crate::ob::body::free(k, s);
    Ok(())
}

/// The UTF-16 units of a counted string the driver passed (validated first: an odd length,
/// one past MaximumLength or a missing buffer is STATUS_INVALID_PARAMETER).
pub(crate) fn read_units(k: &mut Kx, at: u64) -> KResult<Result<Vec<u16>, NtStatus>> {
    let st = crate::rtl::unicode::RtlValidateUnicodeString(k, 0, PUnicodeString(at))?;
    if !st.is_success() {
        return Ok(Err(st));
    }
    let len = k.mem().get(at, UNICODE_STRING::Length)?;
    let buffer = k.mem().get(at, UNICODE_STRING::Buffer)?;
    let mut bytes = vec![0u8; len as usize];
    if len != 0 {
        k.mem().read(buffer, &mut bytes)?;
    }
    Ok(Ok(bytes.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect()))
}

/// NTSTATUS WdfStringCreate(PCUNICODE_STRING UnicodeString, PWDF_OBJECT_ATTRIBUTES
/// StringAttributes, WDFSTRING *String): a copy of the string (empty when none is given);
/// `*String` is NULL on failure.
pub fn WdfStringCreate(
    k: &mut Kx,
    globals: Ptr,
    unicode: PUnicodeString,
    attributes: Ptr,
    out: Ptr,
) -> KResult<NtStatus> {
    let b = super::driver::binding(k, "WdfStringCreate", globals.0)?;
    if out.0 == 0 {
        return Err(violation::null_parameter(k, "WdfStringCreate", "String"));
    }
    k.mem_mut().write_ptr(out.0, 0)?;
    let a = object::read_attributes(k, attributes.0)?;
    if a.parent != 0 {
        object::expect(k, "WdfStringCreate", a.parent, ObjectKind::Any)?;
    }
    let units = if unicode.0 == 0 {
        Vec::new()
    } else {
        match read_units(k, unicode.0)? {
            Ok(u) => u,
            Err(st) => return Ok(st),
        }
    };
    let h = create(k, b, &a)?;
    assign(k, h, &units)?;
    k.mem_mut().write_ptr(out.0, h)?;
    Ok(status::SUCCESS)
}

/// VOID WdfStringGetUnicodeString(WDFSTRING String, PUNICODE_STRING UnicodeString): a copy of
/// the structure, pointing at the string's own buffer.
pub fn WdfStringGetUnicodeString(k: &mut Kx, _globals: Ptr, string: Ptr, out: PUnicodeString) -> KResult<()> {
    object::expect(k, "WdfStringGetUnicodeString", string.0, ObjectKind::String)?;
    if out.0 == 0 {
        return Err(violation::null_parameter(k, "WdfStringGetUnicodeString", "UnicodeString"));
    }
    let s = structure(k, string.0);
    let mut bytes = vec![0u8; UNICODE_STRING::STRUCT.size(k.arch()) as usize];
    k.mem().read(s, &mut bytes)?;
    k.mem_mut().write(out.0, &bytes)?;
    Ok(())
}
