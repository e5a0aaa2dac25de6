//! Values: `ZwSetValueKey`, `ZwDeleteValueKey`, `ZwQueryValueKey`, `ZwEnumerateValueKey`,
//! and the set/delete they share with the Rtl registry routines and scenario steps.
#![allow(non_snake_case)]

use super::callbacks::{self, Decision, PRE_DELETE_VALUE_KEY, PRE_QUERY_VALUE_KEY, PRE_SET_VALUE_KEY};
use super::info;
use super::{key_of_handle, KEY_QUERY_VALUE, KEY_SET_VALUE, MAX_VALUE_NAME};
use crate::kernel::{caller, KResult, Kx};
use crate::layout::{
    FieldAccess, REG_DELETE_VALUE_KEY_INFORMATION, REG_QUERY_VALUE_KEY_INFORMATION, REG_SET_VALUE_KEY_INFORMATION,
    UNICODE_STRING,
};
use crate::ob::handles::Mode;
use crate::rtl::unicode::read_unicode_string;
use crate::types::{status, NtStatus, PUnicodeString, Ptr, HANDLE};

/// Largest value data this registry stores (Windows' big-data cells go to about 1 MiB).
pub const MAX_DATA: u64 = 1 << 20;

/// Reads a value name: NULL or empty is the key's default value; an odd length or one past
/// MaximumLength is STATUS_INVALID_PARAMETER, as is a name over 16,383 characters.
pub(crate) fn read_value_name(k: &Kx, name: u64) -> KResult<Result<String, NtStatus>> {
    if name == 0 {
        return Ok(Ok(String::new()));
    }
    let len = k.mem().get(name, UNICODE_STRING::Length)?;
    let max = k.mem().get(name, UNICODE_STRING::MaximumLength)?;
    if len & 1 != 0 || len > max {
        return Ok(Err(status::INVALID_PARAMETER));
    }
    let text = read_unicode_string(k, name)?;
    if text.encode_utf16().count() > MAX_VALUE_NAME {
        return Ok(Err(status::INVALID_PARAMETER));
    }
    Ok(Ok(text))
}

/// What a set or delete needs beyond the key: the caller's own pointers for the
/// notification (0 when the request does not come from guest memory).
pub(crate) struct Source {
    pub name_ptr: u64,
    pub data_ptr: u64,
    pub mode: Mode,
    pub caller: u64,
}

/// A UNICODE_STRING for a notification: the caller's own, or one made in kernel pool.
fn name_for_notification(k: &mut Kx, given: u64, name: &str, made: &mut Vec<u64>) -> KResult<u64> {
    if given != 0 {
        return Ok(given);
    }
    let s = callbacks::kernel_string(k, name)?;
    made.push(s);
    Ok(s)
}

/// Sets value `name` of the key `handle` names.
pub(crate) fn set_value(
    k: &mut Kx,
    handle: u64,
    name: &str,
    ty: u32,
    data: Vec<u8>,
    src: &Source,
) -> KResult<NtStatus> {
    let (object, node) = match key_of_handle(k, handle, KEY_SET_VALUE, src.mode)? {
        Ok(v) => v,
        Err(st) => return Ok(st),
    };
    let mut made = Vec::new();
    let mut notification = None;
    let mut decision = Decision::Proceed;
    if !k.ext().registry.callbacks.registrations.is_empty() {
        let name_ptr = name_for_notification(k, src.name_ptr, name, &mut made)?;
        let data_ptr = if src.data_ptr != 0 || data.is_empty() {
            src.data_ptr
        } else {
            let d = crate::ex::pool::kernel_alloc(k, data.len() as u64, b"CmCb")?;
            k.mem_mut().write(d, &data)?;
            made.push(d);
            d
        };
        let arch = k.arch();
        let size = REG_SET_VALUE_KEY_INFORMATION::STRUCT.size(arch);
        let cc = REG_SET_VALUE_KEY_INFORMATION::CallContext.offset(arch);
        let len = data.len() as u64;
        let (n, d) = callbacks::pre(k, PRE_SET_VALUE_KEY, size, cc, |k, b| {
            let mem = k.mem_mut();
            mem.set(b, REG_SET_VALUE_KEY_INFORMATION::Object, object)?;
            mem.set(b, REG_SET_VALUE_KEY_INFORMATION::ValueName, name_ptr)?;
            mem.set(b, REG_SET_VALUE_KEY_INFORMATION::Type, ty as u64)?;
            mem.set(b, REG_SET_VALUE_KEY_INFORMATION::Data, data_ptr)?;
            mem.set(b, REG_SET_VALUE_KEY_INFORMATION::DataSize, len)?;
            Ok(())
        })?;
        notification = n;
        decision = d;
    }
    let st = match decision {
        Decision::Block(st) => st,
        Decision::Bypass => status::SUCCESS,
        Decision::Proceed => {
            super::record(k, "set_value", node, Some((name, ty, &data)), src.caller);
            let time = crate::ke::time::system_time(k);
            k.ext_mut().registry.set(node, name, ty, data, time);
            status::SUCCESS
        }
    };
    callbacks::post(k, notification, object, st)?;
    for b in made {
        crate::ex::pool::free(k, b, None, 0)?;
    }
    Ok(st)
}

/// Deletes value `name` of the key `handle` names.
pub(crate) fn delete_value(k: &mut Kx, handle: u64, name: &str, src: &Source) -> KResult<NtStatus> {
    let (object, node) = match key_of_handle(k, handle, KEY_SET_VALUE, src.mode)? {
        Ok(v) => v,
        Err(st) => return Ok(st),
    };
    let mut made = Vec::new();
    let mut notification = None;
    let mut decision = Decision::Proceed;
    if !k.ext().registry.callbacks.registrations.is_empty() {
        let name_ptr = name_for_notification(k, src.name_ptr, name, &mut made)?;
        let arch = k.arch();
        let size = REG_DELETE_VALUE_KEY_INFORMATION::STRUCT.size(arch);
        let cc = REG_DELETE_VALUE_KEY_INFORMATION::CallContext.offset(arch);
        let (n, d) = callbacks::pre(k, PRE_DELETE_VALUE_KEY, size, cc, |k, b| {
            k.mem_mut().set(b, REG_DELETE_VALUE_KEY_INFORMATION::Object, object)?;
            k.mem_mut().set(b, REG_DELETE_VALUE_KEY_INFORMATION::ValueName, name_ptr)?;
            Ok(())
        })?;
        notification = n;
        decision = d;
    }
    let st = match decision {
        Decision::Block(st) => st,
        Decision::Bypass => status::SUCCESS,
        Decision::Proceed => {
            if k.ext().registry.value(node, name).is_none() {
                status::OBJECT_NAME_NOT_FOUND
            } else {
                super::record(k, "delete_value", node, Some((name, 0, &[])), src.caller);
                let time = crate::ke::time::system_time(k);
                k.ext_mut().registry.unset(node, name, time);
                status::SUCCESS
            }
        }
    };
    callbacks::post(k, notification, object, st)?;
    for b in made {
        crate::ex::pool::free(k, b, None, 0)?;
    }
    Ok(st)
}

/// NTSTATUS ZwSetValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName, ULONG TitleIndex,
/// ULONG Type, PVOID Data, ULONG DataSize)
pub fn ZwSetValueKey(
    k: &mut Kx,
    handle: HANDLE,
    value_name: PUnicodeString,
    _title_index: u32,
    ty: u32,
    data: Ptr,
    size: u32,
) -> KResult<NtStatus> {
    let name = match read_value_name(k, value_name.0)? {
        Ok(n) => n,
        Err(st) => return Ok(st),
    };
    if size as u64 > MAX_DATA {
        return Ok(status::INSUFFICIENT_RESOURCES);
    }
    let mut bytes = vec![0u8; size as usize];
    k.mem().read(data.0, &mut bytes)?;
    let src = Source { name_ptr: value_name.0, data_ptr: data.0, mode: Mode::Kernel, caller: caller(k) };
    set_value(k, handle.0, &name, ty, bytes, &src)
}

/// NTSTATUS ZwDeleteValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName)
pub fn ZwDeleteValueKey(k: &mut Kx, handle: HANDLE, value_name: PUnicodeString) -> KResult<NtStatus> {
    let name = match read_value_name(k, value_name.0)? {
        Ok(n) => n,
        Err(st) => return Ok(st),
    };
    let src = Source { name_ptr: value_name.0, data_ptr: 0, mode: Mode::Kernel, caller: caller(k) };
    delete_value(k, handle.0, &name, &src)
}

/// NTSTATUS ZwQueryValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName,
/// KEY_VALUE_INFORMATION_CLASS KeyValueInformationClass, PVOID KeyValueInformation,
/// ULONG Length, PULONG ResultLength)
pub fn ZwQueryValueKey(
    k: &mut Kx,
    handle: HANDLE,
    value_name: PUnicodeString,
    class: u32,
    buffer: Ptr,
    length: u32,
    result: Ptr,
) -> KResult<NtStatus> {
    let (object, node) = match key_of_handle(k, handle.0, KEY_QUERY_VALUE, Mode::Kernel)? {
        Ok(v) => v,
        Err(st) => return Ok(st),
    };
    let name = match read_value_name(k, value_name.0)? {
        Ok(n) => n,
        Err(st) => return Ok(st),
    };
    let arch = k.arch();
    let size = REG_QUERY_VALUE_KEY_INFORMATION::STRUCT.size(arch);
    let cc = REG_QUERY_VALUE_KEY_INFORMATION::CallContext.offset(arch);
    let (n, decision) = callbacks::pre(k, PRE_QUERY_VALUE_KEY, size, cc, |k, b| {
        let mem = k.mem_mut();
        mem.set(b, REG_QUERY_VALUE_KEY_INFORMATION::Object, object)?;
        mem.set(b, REG_QUERY_VALUE_KEY_INFORMATION::ValueName, value_name.0)?;
        mem.set(b, REG_QUERY_VALUE_KEY_INFORMATION::KeyValueInformationClass, class as u64)?;
        mem.set(b, REG_QUERY_VALUE_KEY_INFORMATION::KeyValueInformation, buffer.0)?;
        mem.set(b, REG_QUERY_VALUE_KEY_INFORMATION::Length, length as u64)?;
        mem.set(b, REG_QUERY_VALUE_KEY_INFORMATION::ResultLength, result.0)?;
        Ok(())
    })?;
    let st = match decision {
        Decision::Block(st) => st,
        Decision::Bypass => status::SUCCESS,
        Decision::Proceed => match k.ext().registry.value(node, &name).cloned() {
            None => status::OBJECT_NAME_NOT_FOUND,
            Some(v) => match info::value_info(&v, class) {
                None => status::INVALID_PARAMETER,
                Some(i) => info::deliver(k, &i, buffer, length, result)?,
            },
        },
    };
    callbacks::post(k, n, object, st)?;
    Ok(st)
}

/// NTSTATUS ZwEnumerateValueKey(HANDLE KeyHandle, ULONG Index,
/// KEY_VALUE_INFORMATION_CLASS KeyValueInformationClass, PVOID KeyValueInformation,
/// ULONG Length, PULONG ResultLength): the Index-th value in the order values were first set;
/// STATUS_NO_MORE_ENTRIES past the last.
pub fn ZwEnumerateValueKey(
    k: &mut Kx,
    handle: HANDLE,
    index: u32,
    class: u32,
    buffer: Ptr,
    length: u32,
    result: Ptr,
) -> KResult<NtStatus> {
    let (_, node) = match key_of_handle(k, handle.0, KEY_QUERY_VALUE, Mode::Kernel)? {
        Ok(v) => v,
        Err(st) => return Ok(st),
    };
    let Some(v) = k.ext().registry.node(node).values.get(index as usize).cloned() else {
        return Ok(status::NO_MORE_ENTRIES);
    };
    match info::value_info(&v, class) {
        None => Ok(status::INVALID_PARAMETER),
        Some(i) => info::deliver(k, &i, buffer, length, result),
    }
}
