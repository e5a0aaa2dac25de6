//! Keys: `ZwCreateKey`, `ZwOpenKey`, `ZwOpenKeyEx`, `ZwDeleteKey`, `ZwFlushKey`,
//! `ZwQueryKey`, `ZwEnumerateKey`, and the opens and creates they share with the Rtl
//! registry routines and scenario steps.
#![allow(non_snake_case)]

use super::callbacks::{self, Decision, PRE_CREATE_KEY_EX, PRE_DELETE_KEY, PRE_OPEN_KEY_EX};
use super::info::{self, KEY_BASIC_INFORMATION, KEY_FULL_INFORMATION, KEY_NAME_INFORMATION, KEY_NODE_INFORMATION};
use super::{key_of_handle, map_access, node_of_object, DELETE, KEY_ENUMERATE_SUB_KEYS, KEY_QUERY_VALUE};
use crate::kernel::{caller, KResult, Kx};
use crate::layout::{FieldAccess, REG_CREATE_KEY_INFORMATION, REG_DELETE_KEY_INFORMATION};
use crate::ob::handles::Mode;
use crate::ob::name::{read_attributes, ObjectAttributes};
use crate::ob::{ObjectKind, OBJ_OPENLINK};
use crate::rtl::unicode::read_unicode_string;
use crate::types::{status, NtStatus, PUnicodeString, Ptr, HANDLE};

/// Create/open options.
pub const REG_OPTION_VOLATILE: u32 = 0x1;
pub const REG_OPTION_CREATE_LINK: u32 = 0x2;
pub const REG_OPTION_BACKUP_RESTORE: u32 = 0x4;
pub const REG_OPTION_OPEN_LINK: u32 = 0x8;
/// Dispositions.
pub const REG_CREATED_NEW_KEY: u32 = 1;
pub const REG_OPENED_EXISTING_KEY: u32 = 2;
/// STATUS_CHILD_MUST_BE_VOLATILE.
const CHILD_MUST_BE_VOLATILE: NtStatus = NtStatus(0xC000_0181);

/// Where a path given by OBJECT_ATTRIBUTES starts: (key, the Key object it starts at, the
/// rest of the path). A name relative to a key handle must not start with `\`; an absolute one
/// goes through the namespace to `\REGISTRY`.
pub(crate) fn start_of(k: &Kx, attrs: &ObjectAttributes) -> Result<(usize, u64, String), NtStatus> {
    let name = attrs.name.clone().unwrap_or_default();
    if attrs.root != 0 {
        let Some(node) = node_of_object(k, attrs.root) else { return Err(status::OBJECT_TYPE_MISMATCH) };
        if k.ext().registry.node(node).deleted {
            return Err(status::KEY_DELETED);
        }
        if name.starts_with('\\') {
            return Err(status::OBJECT_PATH_SYNTAX_BAD);
        }
        return Ok((node, attrs.root, name));
    }
    let (object, rest) = k.ext().objects.lookup_path(&name, true)?;
    match node_of_object(k, object) {
        Some(node) => Ok((node, object, rest)),
        None => Err(status::OBJECT_TYPE_MISMATCH),
    }
}

/// What an open or a create is asked to do.
pub struct Request {
    pub attrs: ObjectAttributes,
    pub access: u32,
    /// REG_OPTION_* (ZwOpenKeyEx's OpenOptions; ZwCreateKey's CreateOptions).
    pub options: u32,
    /// For a create: the class, if any.
    pub create: Option<Option<String>>,
    pub mode: Mode,
    /// Where the call came from (0 for a scenario step).
    pub caller: u64,
}

/// The pre-notification of an open or create: REG_CREATE_KEY_INFORMATION.
fn notify(
    k: &mut Kx,
    req: &Request,
    root_object: u64,
    name: &str,
) -> KResult<(Option<callbacks::Notification>, Decision, Vec<u64>)> {
    if k.ext().registry.callbacks.registrations.is_empty() {
        return Ok((None, Decision::Proceed, Vec::new()));
    }
    let arch = k.arch();
    let class = if req.create.is_some() { PRE_CREATE_KEY_EX } else { PRE_OPEN_KEY_EX };
    let complete = callbacks::kernel_string(k, name)?;
    let mut strings = vec![complete];
    let class_string = match &req.create {
        Some(Some(c)) => {
            let s = callbacks::kernel_string(k, c)?;
            strings.push(s);
            s
        }
        _ => 0,
    };
    let key_type = crate::ob::types::object_type(k, ObjectKind::Key);
    let size = REG_CREATE_KEY_INFORMATION::STRUCT.size(arch);
    let call_context = REG_CREATE_KEY_INFORMATION::CallContext.offset(arch);
    let (n, d) = callbacks::pre(k, class, size, call_context, |k, b| {
        let mem = k.mem_mut();
        mem.set(b, REG_CREATE_KEY_INFORMATION::CompleteName, complete)?;
        mem.set(b, REG_CREATE_KEY_INFORMATION::RootObject, root_object)?;
        mem.set(b, REG_CREATE_KEY_INFORMATION::ObjectType, key_type)?;
        mem.set(b, REG_CREATE_KEY_INFORMATION::CreateOptions, req.options as u64)?;
        mem.set(b, REG_CREATE_KEY_INFORMATION::Class, class_string)?;
        mem.set(b, REG_CREATE_KEY_INFORMATION::DesiredAccess, req.access as u64)?;
        Ok(())
    })?;
    Ok((n, d, strings))
}

/// Opens or creates the key a request names. Returns (handle, disposition).
pub(crate) fn open_or_create(k: &mut Kx, req: &Request) -> KResult<Result<(u64, u32), NtStatus>> {
    let (start, root_object, rest) = match start_of(k, &req.attrs) {
        Ok(s) => s,
        Err(st) => return Ok(Err(st)),
    };
    let (notification, decision, strings) = notify(k, req, root_object, &rest)?;
    let result = match decision {
        Decision::Block(st) => Err(st),
        Decision::Bypass => Err(status::UNSUCCESSFUL),
        Decision::Proceed => perform(k, req, start, &rest)?,
    };
    let (object, st) = match &result {
        Ok((h, _)) => (crate::ob::handles::lookup(k, *h, Mode::Kernel)?.map(|e| e.0).unwrap_or(0), status::SUCCESS),
        Err(st) => (0, *st),
    };
    callbacks::post(k, notification, object, st)?;
    for s in strings {
        crate::ex::pool::free(k, s, None, 0)?;
    }
    Ok(result)
}

fn perform(k: &mut Kx, req: &Request, start: usize, rest: &str) -> KResult<Result<(u64, u32), NtStatus>> {
    let open_link = req.options & REG_OPTION_OPEN_LINK != 0 || req.attrs.attributes & OBJ_OPENLINK != 0;
    let access = map_access(req.access);
    let attributes = req.attrs.attributes;
    let Some(class) = &req.create else {
        let node = match k.ext().registry.walk(start, rest, open_link) {
            Ok(n) => n,
            Err(st) => return Ok(Err(st)),
        };
        let h = super::open_key_object(k, node, access, attributes, req.mode)?;
        return Ok(Ok((h, REG_OPENED_EXISTING_KEY)));
    };
    let trimmed = rest.trim_end_matches('\\');
    let (parent_path, last) = match trimmed.rfind('\\') {
        Some(i) => (&trimmed[..i], &trimmed[i + 1..]),
        None => ("", trimmed),
    };
    let parent = match k.ext().registry.walk(start, parent_path, false) {
        Ok(p) => p,
        Err(st) => return Ok(Err(st)),
    };
    if last.is_empty() {
        let h = super::open_key_object(k, parent, access, attributes, req.mode)?;
        return Ok(Ok((h, REG_OPENED_EXISTING_KEY)));
    }
    if last.encode_utf16().count() > super::MAX_KEY_NAME {
        return Ok(Err(status::OBJECT_NAME_INVALID));
    }
    let reg = &k.ext().registry;
    if let Some(existing) = reg.child(parent, last) {
        let node = if open_link {
            existing
        } else {
            match reg.walk(parent, last, false) {
                Ok(n) => n,
                Err(st) => return Ok(Err(st)),
            }
        };
        let h = super::open_key_object(k, node, access, attributes, req.mode)?;
        return Ok(Ok((h, REG_OPENED_EXISTING_KEY)));
    }
    let volatile = req.options & REG_OPTION_VOLATILE != 0;
    if reg.node(parent).volatile && !volatile {
        return Ok(Err(CHILD_MUST_BE_VOLATILE));
    }
    let time = crate::ke::time::system_time(k);
    let node = k.ext_mut().registry.add_child(parent, last, volatile, class.clone(), time);
    super::record(k, "create_key", node, None, req.caller);
    let h = super::open_key_object(k, node, access, attributes, req.mode)?;
    Ok(Ok((h, REG_CREATED_NEW_KEY)))
}

/// NTSTATUS ZwCreateKey(PHANDLE KeyHandle, ACCESS_MASK DesiredAccess,
/// POBJECT_ATTRIBUTES ObjectAttributes, ULONG TitleIndex, PUNICODE_STRING Class,
/// ULONG CreateOptions, PULONG Disposition): opens the key, or creates it (its parent must
/// exist); Disposition says which.
pub fn ZwCreateKey(
    k: &mut Kx,
    handle: Ptr,
    access: u32,
    attributes: Ptr,
    _title_index: u32,
    class: PUnicodeString,
    options: u32,
    disposition: Ptr,
) -> KResult<NtStatus> {
    let attrs = match read_attributes(k, attributes.0, Mode::Kernel)? {
        Ok(a) => a,
        Err(st) => return Ok(st),
    };
    if options & !(REG_OPTION_VOLATILE | REG_OPTION_CREATE_LINK | REG_OPTION_BACKUP_RESTORE | REG_OPTION_OPEN_LINK) != 0
    {
        return Ok(status::INVALID_PARAMETER);
    }
    let class = if class.0 == 0 { None } else { Some(read_unicode_string(k, class.0)?).filter(|c| !c.is_empty()) };
    let req = Request { attrs, access, options, create: Some(class), mode: Mode::Kernel, caller: caller(k) };
    let r = open_or_create(k, &req)?;
    finish(k, r, handle, disposition)
}

/// Writes the handle (and disposition) of a successful open.
fn finish(k: &mut Kx, r: Result<(u64, u32), NtStatus>, handle: Ptr, disposition: Ptr) -> KResult<NtStatus> {
    match r {
        Ok((h, d)) => {
            if let Err(e) = k.mem_mut().write_ptr(handle.0, h) {
                let _ = crate::ob::handles::close(k, h, Mode::Kernel)?;
                return Err(e.into());
            }
            if !disposition.is_null() {
                k.mem_mut().write_u32(disposition.0, d)?;
            }
            Ok(status::SUCCESS)
        }
        Err(st) => Ok(st),
    }
}

/// NTSTATUS ZwOpenKey(PHANDLE KeyHandle, ACCESS_MASK DesiredAccess,
/// POBJECT_ATTRIBUTES ObjectAttributes)
pub fn ZwOpenKey(k: &mut Kx, handle: Ptr, access: u32, attributes: Ptr) -> KResult<NtStatus> {
    ZwOpenKeyEx(k, handle, access, attributes, 0)
}

/// NTSTATUS ZwOpenKeyEx(PHANDLE KeyHandle, ACCESS_MASK DesiredAccess,
/// POBJECT_ATTRIBUTES ObjectAttributes, ULONG OpenOptions): REG_OPTION_OPEN_LINK opens a link
/// key itself.
pub fn ZwOpenKeyEx(k: &mut Kx, handle: Ptr, access: u32, attributes: Ptr, options: u32) -> KResult<NtStatus> {
    let attrs = match read_attributes(k, attributes.0, Mode::Kernel)? {
        Ok(a) => a,
        Err(st) => return Ok(st),
    };
    if options & !(REG_OPTION_OPEN_LINK | REG_OPTION_BACKUP_RESTORE) != 0 {
        return Ok(status::INVALID_PARAMETER);
    }
    let req = Request { attrs, access, options, create: None, mode: Mode::Kernel, caller: caller(k) };
    let r = open_or_create(k, &req)?;
    finish(k, r, handle, Ptr::NULL)
}

/// Deletes the key a handle names (which must have no subkeys; a hive's root cannot go).
pub(crate) fn delete_key(k: &mut Kx, handle: u64, mode: Mode, caller: u64) -> KResult<NtStatus> {
    let (object, node) = match key_of_handle(k, handle, DELETE, mode)? {
        Ok(v) => v,
        Err(st) => return Ok(st),
    };
    let arch = k.arch();
    let size = REG_DELETE_KEY_INFORMATION::STRUCT.size(arch);
    let cc = REG_DELETE_KEY_INFORMATION::CallContext.offset(arch);
    let (n, decision) = callbacks::pre(k, PRE_DELETE_KEY, size, cc, |k, b| {
        k.mem_mut().set(b, REG_DELETE_KEY_INFORMATION::Object, object)?;
        Ok(())
    })?;
    let st = match decision {
        Decision::Block(st) => st,
        Decision::Bypass => status::SUCCESS,
        Decision::Proceed => {
            let reg = &k.ext().registry;
            let hive_root = reg.node(node).parent.is_none_or(|p| p == 0 || reg.node(p).parent == Some(0));
            if hive_root || !reg.subkeys(node).is_empty() {
                status::CANNOT_DELETE
            } else {
                super::record(k, "delete_key", node, None, caller);
                k.ext_mut().registry.remove(node);
                status::SUCCESS
            }
        }
    };
    callbacks::post(k, n, object, st)?;
    Ok(st)
}

/// NTSTATUS ZwDeleteKey(HANDLE KeyHandle): the handle stays open, and reports
/// STATUS_KEY_DELETED from then on.
pub fn ZwDeleteKey(k: &mut Kx, handle: HANDLE) -> KResult<NtStatus> {
    let at = caller(k);
    delete_key(k, handle.0, Mode::Kernel, at)
}

/// NTSTATUS ZwFlushKey(HANDLE KeyHandle): the registry lives in memory; nothing to write.
pub fn ZwFlushKey(k: &mut Kx, handle: HANDLE) -> KResult<NtStatus> {
    Ok(match key_of_handle(k, handle.0, 0, Mode::Kernel)? {
        Ok(_) => status::SUCCESS,
        Err(st) => st,
    })
}

/// NTSTATUS ZwQueryKey(HANDLE KeyHandle, KEY_INFORMATION_CLASS KeyInformationClass,
/// PVOID KeyInformation, ULONG Length, PULONG ResultLength)
pub fn ZwQueryKey(k: &mut Kx, handle: HANDLE, class: u32, buffer: Ptr, length: u32, result: Ptr) -> KResult<NtStatus> {
    let need = if class == KEY_NAME_INFORMATION { 0 } else { KEY_QUERY_VALUE };
    let (_, node) = match key_of_handle(k, handle.0, need, Mode::Kernel)? {
        Ok(v) => v,
        Err(st) => return Ok(st),
    };
    let Some(info) = info::key_info(&k.ext().registry, node, class) else { return Ok(status::INVALID_PARAMETER) };
    info::deliver(k, &info, buffer, length, result)
}

/// NTSTATUS ZwEnumerateKey(HANDLE KeyHandle, ULONG Index, KEY_INFORMATION_CLASS
/// KeyInformationClass, PVOID KeyInformation, ULONG Length, PULONG ResultLength): the
/// Index-th subkey in name order; STATUS_NO_MORE_ENTRIES past the last.
pub fn ZwEnumerateKey(
    k: &mut Kx,
    handle: HANDLE,
    index: u32,
    class: u32,
    buffer: Ptr,
    length: u32,
    result: Ptr,
) -> KResult<NtStatus> {
    let (_, node) = match key_of_handle(k, handle.0, KEY_ENUMERATE_SUB_KEYS, Mode::Kernel)? {
        Ok(v) => v,
        Err(st) => return Ok(st),
    };
    if ![KEY_BASIC_INFORMATION, KEY_NODE_INFORMATION, KEY_FULL_INFORMATION].contains(&class) {
        return Ok(status::INVALID_PARAMETER);
    }
    let reg = &k.ext().registry;
    let Some(&sub) = reg.subkeys(node).get(index as usize) else { return Ok(status::NO_MORE_ENTRIES) };
    let info = info::key_info(reg, sub, class).expect("a key class");
    info::deliver(k, &info, buffer, length, result)
}
