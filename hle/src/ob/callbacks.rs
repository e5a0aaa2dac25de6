//! Object callbacks: `ObRegisterCallbacks`, `ObUnRegisterCallbacks`, `ObGetFilterVersion`.
//!
//! A registration names, for process and thread objects, a pre-operation routine (which sees
//! the access a handle is about to be opened or duplicated with, and may take rights away)
//! and a post-operation routine (which sees the access granted). They run whenever a handle to
//! a process or thread is made: by a driver (`ObOpenObjectByPointer`, `ZwOpenProcess`,
//! `ZwDuplicateObject`) or by a scenario step opening one as the user program. As on Windows,
//! the routines must lie in an image linked with /INTEGRITYCHECK, registrations are ordered
//! by altitude (highest first for pre-operations, the reverse for post-operations), and two
//! may not share an altitude.
#![allow(non_snake_case)]

use portcullis_emu::CallConv;

use super::{ObjectKind, Owner};
use crate::kernel::{caller, KResult, Kx};
use crate::layout::{
    FieldAccess, OB_CALLBACK_REGISTRATION, OB_OPERATION_REGISTRATION, OB_POST_OPERATION_INFORMATION,
    OB_PRE_DUPLICATE_HANDLE_INFORMATION, OB_PRE_OPERATION_INFORMATION,
};
use crate::rtl::unicode::read_unicode_string;
use crate::types::{status, NtStatus, Ptr};

/// OB_FLT_REGISTRATION_VERSION.
pub const OB_FLT_REGISTRATION_VERSION: u16 = 0x0100;

/// OB_OPERATION_HANDLE_CREATE / OB_OPERATION_HANDLE_DUPLICATE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Create = 1,
    Duplicate = 2,
}

#[derive(Clone, Debug)]
struct OperationRegistration {
    kind: ObjectKind,
    operations: u32,
    pre: u64,
    post: u64,
}

/// One ObRegisterCallbacks registration.
#[derive(Clone, Debug)]
pub struct Registration {
    /// The RegistrationHandle the driver got.
    pub handle: u64,
    pub altitude: String,
    context: u64,
    operations: Vec<OperationRegistration>,
    pub owner: Owner,
}

#[derive(Default, Debug)]
pub struct Callbacks {
    /// Highest altitude first.
    pub(crate) registrations: Vec<Registration>,
}

/// A pre-operation's call context, to hand to the matching post-operation routine.
pub struct Pending {
    context: u64,
    post: u64,
    call_context: u64,
}

/// Altitudes are decimal numbers, possibly with a fraction ("320000.5").
fn altitude_key(a: &str) -> (u64, String) {
    let (int, frac) = a.split_once('.').unwrap_or((a, ""));
    (int.trim().parse().unwrap_or(0), frac.to_string())
}

/// Runs the pre-operation routines for a handle to `object` about to be made with `access`;
/// returns the access left and what the post-operation routines need.
pub(crate) fn pre(
    k: &mut Kx,
    op: Operation,
    object: u64,
    kind: ObjectKind,
    kernel_handle: bool,
    access: u32,
    processes: Option<(u64, u64)>,
) -> KResult<(u32, Vec<Pending>)> {
    let chosen: Vec<(u64, OperationRegistration)> = k
        .ext()
        .objects
        .callbacks
        .registrations
        .iter()
        .flat_map(|r| r.operations.iter().map(move |o| (r.context, o.clone())))
        .filter(|(_, o)| o.kind == kind && o.operations & op as u32 != 0)
        .collect();
    if chosen.is_empty() {
        return Ok((access, Vec::new()));
    }
    let arch = k.arch();
    let conv = CallConv::Stdcall.for_arch(arch);
    let object_type = super::types::object_type(k, kind);
    let info_size = OB_PRE_OPERATION_INFORMATION::STRUCT.size(arch);
    let total = info_size + OB_PRE_DUPLICATE_HANDLE_INFORMATION::STRUCT.size(arch);
    let block = crate::ex::pool::kernel_alloc(k, total, b"ObCb")?;
    let params = block + info_size;
    let mut access = access;
    let mut pending = Vec::new();
    for (context, reg) in chosen {
        let mem = k.mem_mut();
        mem.write(block, &vec![0u8; total as usize])?;
        mem.set(block, OB_PRE_OPERATION_INFORMATION::Operation, op as u64)?;
        mem.set(block, OB_PRE_OPERATION_INFORMATION::Flags, kernel_handle as u64)?;
        mem.set(block, OB_PRE_OPERATION_INFORMATION::Object, object)?;
        mem.set(block, OB_PRE_OPERATION_INFORMATION::ObjectType, object_type)?;
        mem.set(block, OB_PRE_OPERATION_INFORMATION::Parameters, params)?;
        mem.set(params, OB_PRE_DUPLICATE_HANDLE_INFORMATION::DesiredAccess, access as u64)?;
        mem.set(params, OB_PRE_DUPLICATE_HANDLE_INFORMATION::OriginalDesiredAccess, access as u64)?;
        if let Some((source, target)) = processes {
            mem.set(params, OB_PRE_DUPLICATE_HANDLE_INFORMATION::SourceProcess, source)?;
            mem.set(params, OB_PRE_DUPLICATE_HANDLE_INFORMATION::TargetProcess, target)?;
        }
        let mut call_context = 0;
        if reg.pre != 0 {
            crate::ke::scheduler::call(k, reg.pre, &[context, block], conv)?;
            // A routine can only take rights away.
            access &= k.mem().get(params, OB_PRE_DUPLICATE_HANDLE_INFORMATION::DesiredAccess)? as u32;
            call_context = k.mem().get(block, OB_PRE_OPERATION_INFORMATION::CallContext)?;
        }
        if reg.post != 0 {
            pending.push(Pending { context, post: reg.post, call_context });
        }
    }
    crate::ex::pool::free(k, block, None, 0)?;
    Ok((access, pending))
}

/// Runs the post-operation routines (in the reverse order of the pre-operation ones).
pub(crate) fn post(
    k: &mut Kx,
    op: Operation,
    object: u64,
    kind: ObjectKind,
    kernel_handle: bool,
    granted: u32,
    result: NtStatus,
    pending: Vec<Pending>,
) -> KResult<()> {
    if pending.is_empty() {
        return Ok(());
    }
    let arch = k.arch();
    let conv = CallConv::Stdcall.for_arch(arch);
    let object_type = super::types::object_type(k, kind);
    let info_size = OB_POST_OPERATION_INFORMATION::STRUCT.size(arch);
    let block = crate::ex::pool::kernel_alloc(k, info_size + 8, b"ObCb")?;
    let params = block + info_size;
    for p in pending.into_iter().rev() {
        let mem = k.mem_mut();
        mem.write(block, &vec![0u8; info_size as usize + 8])?;
        mem.set(block, OB_POST_OPERATION_INFORMATION::Operation, op as u64)?;
        mem.set(block, OB_POST_OPERATION_INFORMATION::Flags, kernel_handle as u64)?;
        mem.set(block, OB_POST_OPERATION_INFORMATION::Object, object)?;
        mem.set(block, OB_POST_OPERATION_INFORMATION::ObjectType, object_type)?;
        mem.set(block, OB_POST_OPERATION_INFORMATION::CallContext, p.call_context)?;
        mem.set(block, OB_POST_OPERATION_INFORMATION::ReturnStatus, result.0 as u64)?;
        mem.set(block, OB_POST_OPERATION_INFORMATION::Parameters, params)?;
        // OB_POST_CREATE_HANDLE_INFORMATION / _DUPLICATE_: { ACCESS_MASK GrantedAccess; }
        mem.write_u32(params, granted)?;
        crate::ke::scheduler::call(k, p.post, &[p.context, block], conv)?;
    }
    crate::ex::pool::free(k, block, None, 0)
}

/// NTSTATUS ObRegisterCallbacks(POB_CALLBACK_REGISTRATION CallbackRegistration,
/// PVOID *RegistrationHandle)
pub fn ObRegisterCallbacks(k: &mut Kx, registration: Ptr, handle: Ptr) -> KResult<NtStatus> {
    let reg = registration.0;
    let arch = k.arch();
    let mem = k.mem();
    let version = mem.get(reg, OB_CALLBACK_REGISTRATION::Version)? as u16;
    let count = mem.get(reg, OB_CALLBACK_REGISTRATION::OperationRegistrationCount)?;
    let context = mem.get(reg, OB_CALLBACK_REGISTRATION::RegistrationContext)?;
    let ops = mem.get(reg, OB_CALLBACK_REGISTRATION::OperationRegistration)?;
    if version != OB_FLT_REGISTRATION_VERSION || count == 0 {
        return Ok(status::INVALID_PARAMETER);
    }
    let altitude = read_unicode_string(k, OB_CALLBACK_REGISTRATION::Altitude.at(arch, reg))?;
    if altitude.is_empty() {
        return Ok(status::INVALID_PARAMETER);
    }
    let size = OB_OPERATION_REGISTRATION::STRUCT.size(arch);
    let mut operations = Vec::new();
    for i in 0..count {
        let at = ops + i * size;
        let mem = k.mem();
        let type_var = mem.get(at, OB_OPERATION_REGISTRATION::ObjectType)?;
        let object_type = mem.read_ptr(type_var)?;
        let ops_mask = mem.get(at, OB_OPERATION_REGISTRATION::Operations)? as u32;
        let pre = mem.get(at, OB_OPERATION_REGISTRATION::PreOperation)?;
        let post = mem.get(at, OB_OPERATION_REGISTRATION::PostOperation)?;
        let kind = match super::types::kind_of_type(k, object_type) {
            Some(Some(kind @ (ObjectKind::Process | ObjectKind::Thread))) => kind,
            _ => return Ok(status::INVALID_PARAMETER),
        };
        if ops_mask == 0 || ops_mask & !3 != 0 || (pre == 0 && post == 0) {
            return Ok(status::INVALID_PARAMETER);
        }
        if [pre, post].iter().any(|&r| r != 0 && !crate::loader::integrity_checked(k, r)) {
            return Ok(status::ACCESS_DENIED);
        }
        operations.push(OperationRegistration { kind, operations: ops_mask, pre, post });
    }
    let key = altitude_key(&altitude);
    if k.ext().objects.callbacks.registrations.iter().any(|r| altitude_key(&r.altitude) == key) {
        return Ok(status::FLT_INSTANCE_ALTITUDE_COLLISION);
    }
    let body = super::body::alloc(k, 16)?;
    if let Err(e) = k.mem_mut().write_ptr(handle.0, body) {
        super::body::free(k, body);
        return Err(e.into());
    }
    let owner = k.ext().driver_at(caller(k)).map(Owner::Driver).unwrap_or(Owner::Kernel);
    let regs = &mut k.ext_mut().objects.callbacks.registrations;
    regs.push(Registration { handle: body, altitude, context, operations, owner });
    regs.sort_by_key(|r| std::cmp::Reverse(altitude_key(&r.altitude)));
    Ok(status::SUCCESS)
}

/// VOID ObUnRegisterCallbacks(PVOID RegistrationHandle). A handle no registration has is
/// ignored (Windows would touch freed memory).
pub fn ObUnRegisterCallbacks(k: &mut Kx, handle: Ptr) -> KResult<()> {
    let regs = &mut k.ext_mut().objects.callbacks.registrations;
    if let Some(i) = regs.iter().position(|r| r.handle == handle.0) {
        regs.remove(i);
        super::body::free(k, handle.0);
    }
    Ok(())
}

/// USHORT ObGetFilterVersion(void): OB_FLT_REGISTRATION_VERSION.
pub fn ObGetFilterVersion(_k: &mut Kx) -> KResult<u16> {
    Ok(OB_FLT_REGISTRATION_VERSION)
}

/// The registrations `owner` still has: (handle, altitude).
pub fn owned_by(k: &Kx, owner: Owner) -> Vec<(u64, String)> {
    k.ext()
        .objects
        .callbacks
        .registrations
        .iter()
        .filter(|r| r.owner == owner)
        .map(|r| (r.handle, r.altitude.clone()))
        .collect()
}
