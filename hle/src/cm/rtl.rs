//! The Rtl registry routines: `RtlQueryRegistryValues(Ex)`, `RtlWriteRegistryValue`,
//! `RtlDeleteRegistryValue`, `RtlCheckRegistryKey`, `RtlCreateRegistryKey`. They open the key
//! a RelativeTo/Path pair names (or use the handle RTL_REGISTRY_HANDLE passes) and work on it
//! as the Zw* routines do, closing what they opened.
#![allow(non_snake_case)]

use portcullis_emu::CallConv;

use super::key::{open_or_create, Request};
use super::value::{delete_value, set_value, Source, MAX_DATA};
use super::{multi_strings, utf16_text, Value, REG_EXPAND_SZ, REG_MULTI_SZ, REG_NONE, REG_SZ};
use crate::kernel::{caller, KResult, Kx};
use crate::layout::{FieldAccess, RTL_QUERY_REGISTRY_TABLE, UNICODE_STRING};
use crate::ob::handles::{self, Mode};
use crate::ob::name::ObjectAttributes;
use crate::ob::{OBJ_CASE_INSENSITIVE, OBJ_KERNEL_HANDLE};
use crate::rtl::string::read_wstr;
use crate::types::{status, NtStatus, PUnicodeString, Ptr, PCWSTR};

/// RelativeTo values and flags.
pub const RTL_REGISTRY_ABSOLUTE: u32 = 0;
pub const RTL_REGISTRY_USER: u32 = 5;
const RTL_REGISTRY_MAXIMUM: u32 = 6;
pub const RTL_REGISTRY_HANDLE: u32 = 0x4000_0000;
pub const RTL_REGISTRY_OPTIONAL: u32 = 0x8000_0000;

/// RTL_QUERY_REGISTRY_TABLE.Flags.
pub const SUBKEY: u32 = 0x01;
pub const TOPKEY: u32 = 0x02;
pub const REQUIRED: u32 = 0x04;
pub const NOVALUE: u32 = 0x08;
pub const NOEXPAND: u32 = 0x10;
pub const DIRECT: u32 = 0x20;
pub const DELETE: u32 = 0x40;
pub const TYPECHECK: u32 = 0x100;

/// The path each RelativeTo value stands for.
fn base_path(relative_to: u32) -> &'static str {
    match relative_to {
        1 => "\\Registry\\Machine\\System\\CurrentControlSet\\Services",
        2 => "\\Registry\\Machine\\System\\CurrentControlSet\\Control",
        3 => "\\Registry\\Machine\\Software\\Microsoft\\Windows NT\\CurrentVersion",
        4 => "\\Registry\\Machine\\Hardware\\DeviceMap",
        RTL_REGISTRY_USER => "\\Registry\\User\\.Default",
        _ => "",
    }
}

/// A key the routine works on, and whether it opened it (and must close it).
struct Key {
    handle: u64,
    opened: bool,
}

/// Opens (or with `create`, creates) the key RelativeTo/Path names, as RtlpGetRegistryHandle.
fn registry_key(k: &mut Kx, relative_to: u32, path: u64, create: bool) -> KResult<Result<Key, NtStatus>> {
    if relative_to & RTL_REGISTRY_HANDLE != 0 {
        return Ok(Ok(Key { handle: path, opened: false }));
    }
    let which = relative_to & !RTL_REGISTRY_OPTIONAL;
    if which >= RTL_REGISTRY_MAXIMUM {
        return Ok(Err(status::INVALID_PARAMETER));
    }
    let given = if path == 0 { String::new() } else { String::from_utf16_lossy(&read_wstr(k.mem(), path, 0x8000)?) };
    let full = if which == RTL_REGISTRY_ABSOLUTE {
        given
    } else if given.starts_with('\\') || given.is_empty() {
        format!("{}{given}", base_path(which))
    } else {
        format!("{}\\{given}", base_path(which))
    };
    let attrs = ObjectAttributes {
        name: Some(full),
        attributes: OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE,
        ..Default::default()
    };
    let req = Request {
        attrs,
        access: 0x0200_0000, // MAXIMUM_ALLOWED
        options: 0,
        create: create.then_some(None),
        mode: Mode::Kernel,
        caller: caller(k),
    };
    Ok(open_or_create(k, &req)?.map(|(handle, _)| Key { handle, opened: true }))
}

fn release(k: &mut Kx, key: Key) -> KResult<()> {
    if key.opened {
        let _ = handles::close(k, key.handle, Mode::Kernel)?;
    }
    Ok(())
}

/// Opens subkey `name` of the key `top` names.
fn subkey(k: &mut Kx, top: u64, name: &str) -> KResult<Result<Key, NtStatus>> {
    let Some((root, _, _)) = handles::lookup(k, top, Mode::Kernel)? else { return Ok(Err(status::INVALID_HANDLE)) };
    let root_kind = k.ext().objects.get(root).map(|o| o.kind);
    let attrs = ObjectAttributes {
        root,
        root_kind,
        name: Some(name.to_string()),
        attributes: OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE,
        ..Default::default()
    };
    let req = Request { attrs, access: 0x0200_0000, options: 0, create: None, mode: Mode::Kernel, caller: caller(k) };
    Ok(open_or_create(k, &req)?.map(|(handle, _)| Key { handle, opened: true }))
}

/// The variables of an environment block ("NAME=value\0...\0").
fn environment(k: &Kx, block: u64) -> KResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    if block == 0 {
        return Ok(out);
    }
    let mut at = block;
    for _ in 0..4096 {
        let s = String::from_utf16_lossy(&read_wstr(k.mem(), at, 0x8000)?);
        if s.is_empty() {
            break;
        }
        at += (s.encode_utf16().count() as u64 + 1) * 2;
        if let Some((n, v)) = s.split_once('=') {
            out.push((n.to_string(), v.to_string()));
        }
    }
    Ok(out)
}

/// Expands %NAME% references (unknown ones are left as they are, as RtlExpandEnvironmentStrings
/// leaves them).
fn expand(text: &str, env: &[(String, String)]) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('%') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('%') {
            Some(end) => {
                let name = &after[..end];
                match env.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
                    Some((_, v)) => out.push_str(v),
                    None => {
                        out.push('%');
                        out.push_str(name);
                        out.push('%');
                    }
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// One table entry.
struct Entry {
    routine: u64,
    flags: u32,
    name_ptr: u64,
    name: Option<String>,
    context: u64,
    default_type: u32,
    default_data: u64,
    default_length: u32,
}

fn read_entry(k: &Kx, at: u64) -> KResult<Entry> {
    let mem = k.mem();
    let name_ptr = mem.get(at, RTL_QUERY_REGISTRY_TABLE::Name)?;
    let name = if name_ptr == 0 { None } else { Some(String::from_utf16_lossy(&read_wstr(mem, name_ptr, 0x8000)?)) };
    Ok(Entry {
        routine: mem.get(at, RTL_QUERY_REGISTRY_TABLE::QueryRoutine)?,
        flags: mem.get(at, RTL_QUERY_REGISTRY_TABLE::Flags)? as u32,
        name_ptr,
        name,
        context: mem.get(at, RTL_QUERY_REGISTRY_TABLE::EntryContext)?,
        default_type: mem.get(at, RTL_QUERY_REGISTRY_TABLE::DefaultType)? as u32,
        default_data: mem.get(at, RTL_QUERY_REGISTRY_TABLE::DefaultData)?,
        default_length: mem.get(at, RTL_QUERY_REGISTRY_TABLE::DefaultLength)? as u32,
    })
}

/// Stores a value in an RTL_QUERY_REGISTRY_DIRECT entry's EntryContext: a string in the
/// UNICODE_STRING there (allocating its buffer if it has none), a value of up to four bytes
/// in place, a longer one in the buffer whose first LONG gives its size (negative: data only;
/// positive: length, type, then data).
fn store_direct(k: &mut Kx, ty: u32, data: &[u8], dest: u64) -> KResult<NtStatus> {
    let len = data.len() as u64;
    if matches!(ty, REG_SZ | REG_EXPAND_SZ | REG_MULTI_SZ) {
        let buffer = k.mem().get(dest, UNICODE_STRING::Buffer)?;
        if len > 0xFFFF {
            return Ok(status::BUFFER_TOO_SMALL);
        }
        let buffer = if buffer == 0 {
            let at = caller(k);
            let owner = handles::owner_of_call(k);
            let Some(b) = crate::ex::pool::allocate(
                k,
                crate::ex::pool::PAGED_POOL,
                len,
                u32::from_le_bytes(*b"Strg"),
                owner,
                at,
            )?
            else {
                return Ok(status::INSUFFICIENT_RESOURCES);
            };
            k.mem_mut().set(dest, UNICODE_STRING::MaximumLength, len)?;
            k.mem_mut().set(dest, UNICODE_STRING::Buffer, b)?;
            b
        } else {
            if len > k.mem().get(dest, UNICODE_STRING::MaximumLength)? {
                return Ok(status::BUFFER_TOO_SMALL);
            }
            buffer
        };
        k.mem_mut().write(buffer, data)?;
        k.mem_mut().set(dest, UNICODE_STRING::Length, len.saturating_sub(2))?;
    } else if len <= 4 {
        k.mem_mut().write(dest, data)?;
    } else {
        let size = k.mem().read_u32(dest)? as i32;
        if size < 0 {
            if len > size.unsigned_abs() as u64 {
                return Ok(status::BUFFER_TOO_SMALL);
            }
            k.mem_mut().write(dest, data)?;
        } else {
            if (size as u64) < len + 8 {
                return Ok(status::BUFFER_TOO_SMALL);
            }
            k.mem_mut().write_u32(dest, len as u32)?;
            k.mem_mut().write_u32(dest + 4, ty)?;
            k.mem_mut().write(dest + 8, data)?;
        }
    }
    Ok(status::SUCCESS)
}

/// Hands one value to an entry: its routine, or with RTL_QUERY_REGISTRY_DIRECT its
/// EntryContext. REG_MULTI_SZ goes string by string and REG_EXPAND_SZ expanded, as REG_SZ,
/// unless RTL_QUERY_REGISTRY_NOEXPAND. `name_ptr` is the name the routine sees (0: make one).
fn deliver(
    k: &mut Kx,
    e: &Entry,
    v: &Value,
    name_ptr: u64,
    context: u64,
    env: &[(String, String)],
) -> KResult<NtStatus> {
    let mut pieces: Vec<(u32, Vec<u8>)> = vec![(v.ty, v.data.clone())];
    if e.flags & NOEXPAND == 0 {
        if v.ty == REG_MULTI_SZ {
            pieces = multi_strings(&v.data).iter().map(|s| (REG_SZ, super::utf16z(s))).collect();
        } else if v.ty == REG_EXPAND_SZ {
            pieces = vec![(REG_SZ, super::utf16z(&expand(&utf16_text(&v.data), env)))];
        }
    }
    for (ty, data) in pieces {
        let st = if e.flags & DIRECT != 0 {
            store_direct(k, ty, &data, e.context)?
        } else {
            call_routine(k, e, &v.name, name_ptr, ty, &data, context)?
        };
        // A routine's STATUS_BUFFER_TOO_SMALL does not end the query.
        let ignored = st == status::BUFFER_TOO_SMALL && e.flags & DIRECT == 0;
        if !st.is_success() && !ignored {
            return Ok(st);
        }
    }
    Ok(status::SUCCESS)
}

/// QueryRoutine(ValueName, ValueType, ValueData, ValueLength, Context, EntryContext), with
/// the name and data copied to kernel memory for the call.
fn call_routine(
    k: &mut Kx,
    e: &Entry,
    name: &str,
    name_ptr: u64,
    ty: u32,
    data: &[u8],
    context: u64,
) -> KResult<NtStatus> {
    let name_bytes = super::utf16z(name);
    let size = name_bytes.len() as u64 + data.len() as u64 + 2;
    let block = crate::ex::pool::kernel_alloc(k, size, b"RqrV")?;
    k.mem_mut().write(block, &name_bytes)?;
    let data_at = block + name_bytes.len() as u64;
    k.mem_mut().write(data_at, data)?;
    let name_arg = if name_ptr != 0 { name_ptr } else { block };
    let data_arg = if data.is_empty() { 0 } else { data_at };
    let conv = CallConv::Stdcall.for_arch(k.arch());
    let r = crate::ke::scheduler::call(
        k,
        e.routine,
        &[name_arg, ty as u64, data_arg, data.len() as u64, context, e.context],
        conv,
    );
    crate::ex::pool::free(k, block, None, 0)?;
    Ok(NtStatus(r? as u32))
}

/// The default an entry gives for a missing value, if any.
fn default_value(k: &Kx, e: &Entry) -> KResult<Option<Value>> {
    let ty = e.default_type & 0x00FF_FFFF;
    if ty == REG_NONE {
        return Ok(None);
    }
    let mut len = e.default_length as u64;
    if len == 0 && e.default_data != 0 {
        len = match ty {
            REG_SZ | REG_EXPAND_SZ => (read_wstr(k.mem(), e.default_data, 0x8000)?.len() as u64 + 1) * 2,
            REG_MULTI_SZ => {
                let mut at = e.default_data;
                loop {
                    let s = read_wstr(k.mem(), at, 0x8000)?;
                    at += (s.len() as u64 + 1) * 2;
                    if s.is_empty() || at - e.default_data > MAX_DATA {
                        break at - e.default_data;
                    }
                }
            }
            _ => 0,
        };
    }
    let mut data = vec![0u8; len.min(MAX_DATA) as usize];
    if e.default_data != 0 {
        k.mem().read(e.default_data, &mut data)?;
    }
    Ok(Some(Value { name: e.name.clone().unwrap_or_default(), ty, data }))
}

/// The longest query table walked (a table without its terminating entry ends there).
const MAX_ENTRIES: u64 = 4096;

/// NTSTATUS RtlQueryRegistryValues(ULONG RelativeTo, PCWSTR Path,
/// PRTL_QUERY_REGISTRY_TABLE QueryTable, PVOID Context, PVOID Environment)
pub fn RtlQueryRegistryValues(
    k: &mut Kx,
    relative_to: u32,
    path: PCWSTR,
    table: Ptr,
    context: Ptr,
    environment_block: Ptr,
) -> KResult<NtStatus> {
    let top = match registry_key(k, relative_to, path.0, false)? {
        Ok(key) => key,
        Err(st) if relative_to & RTL_REGISTRY_OPTIONAL != 0 && st == status::OBJECT_NAME_NOT_FOUND => {
            return Ok(status::SUCCESS)
        }
        Err(st) => return Ok(st),
    };
    let env = environment(k, environment_block.0)?;
    let mut current: Option<Key> = None;
    let entry_size = RTL_QUERY_REGISTRY_TABLE::STRUCT.size(k.arch());
    let mut st = status::SUCCESS;
    for i in 0..MAX_ENTRIES {
        let e = read_entry(k, table.0 + i * entry_size)?;
        if e.routine == 0 && e.flags & (SUBKEY | DIRECT) == 0 {
            break;
        }
        if e.flags & DIRECT != 0 && e.name.is_none() {
            st = status::INVALID_PARAMETER;
            break;
        }
        if e.flags & (SUBKEY | TOPKEY) != 0 {
            if let Some(c) = current.take() {
                release(k, c)?;
            }
        }
        if e.flags & SUBKEY != 0 {
            let Some(name) = &e.name else {
                st = status::INVALID_PARAMETER;
                break;
            };
            match subkey(k, top.handle, name)? {
                Ok(key) => current = Some(key),
                Err(s) => {
                    st = s;
                    break;
                }
            }
            continue;
        }
        let key = current.as_ref().map_or(top.handle, |c| c.handle);
        st = query_entry(k, key, &e, context.0, &env)?;
        if !st.is_success() {
            break;
        }
    }
    if let Some(c) = current {
        release(k, c)?;
    }
    release(k, top)?;
    Ok(st)
}

/// One entry that is not a SUBKEY: a callback without a value, one value, or all of them.
fn query_entry(k: &mut Kx, key: u64, e: &Entry, context: u64, env: &[(String, String)]) -> KResult<NtStatus> {
    if e.flags & NOVALUE != 0 {
        let conv = CallConv::Stdcall.for_arch(k.arch());
        let r =
            crate::ke::scheduler::call(k, e.routine, &[e.name_ptr, REG_NONE as u64, 0, 0, context, e.context], conv)?;
        return Ok(NtStatus(r as u32));
    }
    let (_, node) = match super::key_of_handle(k, key, super::KEY_QUERY_VALUE, Mode::Kernel)? {
        Ok(v) => v,
        Err(st) => return Ok(st),
    };
    let Some(name) = &e.name else {
        // Every value of the key.
        let values = k.ext().registry.node(node).values.clone();
        if values.is_empty() && e.flags & REQUIRED != 0 {
            return Ok(status::OBJECT_NAME_NOT_FOUND);
        }
        for v in &values {
            let st = deliver(k, e, v, 0, context, env)?;
            if !st.is_success() {
                return Ok(st);
            }
            if e.flags & DELETE != 0 {
                delete_found(k, key, &v.name)?;
            }
        }
        return Ok(status::SUCCESS);
    };
    match k.ext().registry.value(node, name).cloned() {
        Some(v) => {
            if e.flags & (DIRECT | TYPECHECK) == DIRECT | TYPECHECK {
                let expected = e.default_type >> 24;
                if expected != REG_NONE && expected != v.ty {
                    return Ok(status::OBJECT_TYPE_MISMATCH);
                }
            }
            let st = deliver(k, e, &v, 0, context, env)?;
            if st.is_success() && e.flags & DELETE != 0 {
                delete_found(k, key, name)?;
            }
            Ok(st)
        }
        None if e.flags & REQUIRED != 0 => Ok(status::OBJECT_NAME_NOT_FOUND),
        None => match default_value(k, e)? {
            Some(d) => deliver(k, e, &d, e.name_ptr, context, env),
            None => Ok(status::SUCCESS),
        },
    }
}

fn delete_found(k: &mut Kx, key: u64, name: &str) -> KResult<()> {
    let src = Source { name_ptr: 0, data_ptr: 0, mode: Mode::Kernel, caller: caller(k) };
    delete_value(k, key, name, &src)?;
    Ok(())
}

/// NTSTATUS RtlQueryRegistryValuesEx(...): the same routine under its Windows 8 name.
pub fn RtlQueryRegistryValuesEx(
    k: &mut Kx,
    relative_to: u32,
    path: PCWSTR,
    table: Ptr,
    context: Ptr,
    environment_block: Ptr,
) -> KResult<NtStatus> {
    RtlQueryRegistryValues(k, relative_to, path, table, context, environment_block)
}

/// NTSTATUS RtlWriteRegistryValue(ULONG RelativeTo, PCWSTR Path, PCWSTR ValueName,
/// ULONG ValueType, PVOID ValueData, ULONG ValueLength): creates the key if it is missing
/// (its parent must exist), then sets the value.
pub fn RtlWriteRegistryValue(
    k: &mut Kx,
    relative_to: u32,
    path: PCWSTR,
    value_name: PCWSTR,
    ty: u32,
    data: Ptr,
    length: u32,
) -> KResult<NtStatus> {
    if length as u64 > MAX_DATA {
        return Ok(status::INSUFFICIENT_RESOURCES);
    }
    let name = if value_name.0 == 0 {
        String::new()
    } else {
        String::from_utf16_lossy(&read_wstr(k.mem(), value_name.0, 0x8000)?)
    };
    let bytes = k.mem().read_vec(data.0, length as u64)?;
    let key = match registry_key(k, relative_to, path.0, true)? {
        Ok(key) => key,
        Err(st) => return Ok(st),
    };
    let src = Source { name_ptr: 0, data_ptr: data.0, mode: Mode::Kernel, caller: caller(k) };
    let st = set_value(k, key.handle, &name, ty, bytes, &src)?;
    release(k, key)?;
    Ok(st)
}

/// NTSTATUS RtlDeleteRegistryValue(ULONG RelativeTo, PCWSTR Path, PCWSTR ValueName)
pub fn RtlDeleteRegistryValue(k: &mut Kx, relative_to: u32, path: PCWSTR, value_name: PCWSTR) -> KResult<NtStatus> {
    let name = if value_name.0 == 0 {
        String::new()
    } else {
        String::from_utf16_lossy(&read_wstr(k.mem(), value_name.0, 0x8000)?)
    };
    let key = match registry_key(k, relative_to, path.0, false)? {
        Ok(key) => key,
        Err(st) => return Ok(st),
    };
    let src = Source { name_ptr: 0, data_ptr: 0, mode: Mode::Kernel, caller: caller(k) };
    let st = delete_value(k, key.handle, &name, &src)?;
    release(k, key)?;
    Ok(st)
}

/// NTSTATUS RtlCheckRegistryKey(ULONG RelativeTo, PWSTR Path): whether the key exists.
pub fn RtlCheckRegistryKey(k: &mut Kx, relative_to: u32, path: PCWSTR) -> KResult<NtStatus> {
    match registry_key(k, relative_to, path.0, false)? {
        Ok(key) => {
            release(k, key)?;
            Ok(status::SUCCESS)
        }
        Err(st) => Ok(st),
    }
}

/// NTSTATUS RtlCreateRegistryKey(ULONG RelativeTo, PWSTR Path): creates the key named (its
/// parent must exist); success if it exists already.
pub fn RtlCreateRegistryKey(k: &mut Kx, relative_to: u32, path: PCWSTR) -> KResult<NtStatus> {
    match registry_key(k, relative_to, path.0, true)? {
        Ok(key) => {
            release(k, key)?;
            Ok(status::SUCCESS)
        }
        Err(st) => Ok(st),
    }
}

/// NTSTATUS RtlFormatCurrentUserKeyPath(PUNICODE_STRING CurrentUserKeyPath): the registry
/// path of the current user's hive, `\REGISTRY\USER\<SID>` from the current process's token
/// (`S-1-5-18` for the System process), in a pool buffer RtlFreeUnicodeString frees.
pub fn RtlFormatCurrentUserKeyPath(k: &mut Kx, out: PUnicodeString) -> KResult<NtStatus> {
    let sid = crate::se::token::current(k)?.user.text();
    let text: Vec<u16> = format!("\\REGISTRY\\USER\\{sid}").encode_utf16().collect();
    let size = (text.len() as u64 + 1) * 2;
    let Some(buffer) = crate::rtl::string::alloc_string_buffer(k, size)? else {
        return Ok(status::NO_MEMORY);
    };
    let mem = k.mem_mut();
    crate::rtl::string::write_units(mem, buffer, &text)?;
    mem.write_u16(buffer + size - 2, 0)?;
    let counted = crate::rtl::string::Counted { length: (size - 2) as u16, maximum: size as u16, buffer };
    counted.write(mem, out.0)?;
    Ok(status::SUCCESS)
}
