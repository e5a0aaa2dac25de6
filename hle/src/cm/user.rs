//! Registry operations of the simulated user program (scenario steps): each opens the key
//! as RegOpenKeyEx/RegCreateKeyEx would (user mode, through the object namespace), does its
//! work, and closes the key, so the registry callbacks drivers registered see it as they
//! would a program's.
//!
//! And the same operations on key handles for a real user program (advapi32's Reg*
//! functions): they run on the program's own thread, in user mode, with handles in its
//! process's table ([`open_key`], [`set_value_of`], [`query_value_of`], ...).

use super::key::{open_or_create, Request};
use super::value::{delete_value, set_value, Source};
use super::{DELETE, KEY_ALL_ACCESS, KEY_SET_VALUE};
use crate::kernel::{KResult, Kx};
use crate::ob::handles::{self, Mode};
use crate::ob::name::ObjectAttributes;
use crate::ob::OBJ_CASE_INSENSITIVE;
use crate::types::{status, NtStatus};

/// Runs `f` with the key at `path` open (created with `create`), as the user program.
fn with_key(
    k: &mut Kx,
    path: &str,
    access: u32,
    create: bool,
    f: impl FnOnce(&mut Kx, u64, u32) -> KResult<NtStatus>,
) -> KResult<NtStatus> {
    let user = k.ext().system.user_thread;
    crate::ps::set_current_thread(k, user, true)?;
    let attrs =
        ObjectAttributes { name: Some(path.to_string()), attributes: OBJ_CASE_INSENSITIVE, ..Default::default() };
    let req = Request { attrs, access, options: 0, create: create.then_some(None), mode: Mode::User, caller: 0 };
    let r = (|| -> KResult<NtStatus> {
        match open_or_create(k, &req)? {
            Ok((h, disposition)) => {
                let st = f(k, h, disposition)?;
                let _ = handles::close(k, h, Mode::User)?;
                Ok(st)
            }
            Err(st) => Ok(st),
        }
    })();
    let system = k.ext().system.system_thread;
    crate::ps::set_current_thread(k, system, false)?;
    r
}

fn user_source() -> Source {
    Source { name_ptr: 0, data_ptr: 0, mode: Mode::User, caller: 0 }
}

/// RegSetValueEx on the key at `path` (which must exist).
pub fn set(k: &mut Kx, path: &str, name: &str, ty: u32, data: Vec<u8>) -> KResult<NtStatus> {
    with_key(k, path, KEY_SET_VALUE, false, |k, h, _| set_value(k, h, name, ty, data, &user_source()))
}

/// RegDeleteValue on the key at `path`.
pub fn delete(k: &mut Kx, path: &str, name: &str) -> KResult<NtStatus> {
    with_key(k, path, KEY_SET_VALUE, false, |k, h, _| delete_value(k, h, name, &user_source()))
}

/// RegCreateKeyEx: creates the key at `path` (its parent must exist); success if it exists.
pub fn create_key(k: &mut Kx, path: &str) -> KResult<NtStatus> {
    with_key(k, path, KEY_ALL_ACCESS, true, |_, _, _| Ok(status::SUCCESS))
}

/// RegDeleteKey: deletes the key at `path` (which must have no subkeys).
pub fn delete_key(k: &mut Kx, path: &str) -> KResult<NtStatus> {
    with_key(k, path, DELETE, false, |k, h, _| super::key::delete_key(k, h, Mode::User, 0))
}

/// NtOpenKeyEx / NtCreateKey for the user program whose thread is current: a handle in its
/// process's table for the key at the absolute `path`, and REG_CREATED_NEW_KEY or
/// REG_OPENED_EXISTING_KEY; or the status it failed with.
pub fn open_key(
    k: &mut Kx,
    path: &str,
    access: u32,
    options: u32,
    create: bool,
) -> KResult<Result<(u64, u32), NtStatus>> {
    let attrs =
        ObjectAttributes { name: Some(path.to_string()), attributes: OBJ_CASE_INSENSITIVE, ..Default::default() };
    let req = Request { attrs, access, options, create: create.then_some(None), mode: Mode::User, caller: 0 };
    open_or_create(k, &req)
}

/// NtSetValueKey on a user program's key handle.
pub fn set_value_of(k: &mut Kx, handle: u64, name: &str, ty: u32, data: Vec<u8>) -> KResult<NtStatus> {
    set_value(k, handle, name, ty, data, &user_source())
}

/// NtDeleteValueKey on a user program's key handle.
pub fn delete_value_of(k: &mut Kx, handle: u64, name: &str) -> KResult<NtStatus> {
    delete_value(k, handle, name, &user_source())
}

/// A value's (type, data) through a user program's key handle (KEY_QUERY_VALUE); the
/// registry callbacks are not told (the caller's buffers are advapi32's business).
pub fn query_value_of(k: &mut Kx, handle: u64, name: &str) -> KResult<Result<(u32, Vec<u8>), NtStatus>> {
    let node = match super::key_of_handle(k, handle, super::KEY_QUERY_VALUE, Mode::User)? {
        Ok((_, node)) => node,
        Err(st) => return Ok(Err(st)),
    };
    Ok(k.ext().registry.value(node, name).map(|v| (v.ty, v.data.clone())).ok_or(status::OBJECT_NAME_NOT_FOUND))
}

/// NtClose of a user program's key handle.
pub fn close_key(k: &mut Kx, handle: u64) -> KResult<NtStatus> {
    Ok(handles::close(k, handle, Mode::User)?.err().unwrap_or(status::SUCCESS))
}
