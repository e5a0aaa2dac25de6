//! `ZwSetInformationProcess`: the process settings drivers change, kept per process and
//! answered back by `ZwQueryInformationProcess` where Windows reports them.
//!
//! - ProcessQuotaLimits (QUOTA_LIMITS or QUOTA_LIMITS_EX): with both working-set sizes
//!   non-zero, the working-set limits (both `(SIZE_T)-1`: empty the working set, the limits
//!   stay); a minimum above the maximum is STATUS_BAD_WORKING_SET_LIMIT. QUOTA_LIMITS_EX's
//!   Flags make either limit hard or soft (enabling and disabling one at once, or unknown
//!   bits, are STATUS_INVALID_PARAMETER). With both sizes zero the request is about pool and
//!   page-file quotas, which kernel-mode callers may always raise; they are recorded.
//! - ProcessBreakOnTermination (ULONG): the process is critical (its end would bugcheck
//!   CRITICAL_PROCESS_DIED on Windows).
//! - ProcessIoPriority (ULONG IO_PRIORITY_HINT, below MaxIoPriorityTypes).
//!
//! Other classes answer STATUS_INVALID_INFO_CLASS: this kernel keeps no state they could set.
#![allow(non_snake_case)]

use portcullis_emu::Arch;

use super::process::{object_of, PROCESS_BREAK_ON_TERMINATION, PROCESS_IO_PRIORITY};
use crate::kernel::{KResult, Kx};
use crate::ob::handles::Mode;
use crate::ob::ObjectKind;
use crate::types::{status, NtStatus, Ptr, HANDLE};

/// PROCESSINFOCLASS ProcessQuotaLimits.
pub const PROCESS_QUOTA_LIMITS: u32 = 1;
/// PROCESS_SET_QUOTA / PROCESS_SET_INFORMATION (checked for user-mode callers only).
const PROCESS_SET_QUOTA: u32 = 0x0100;
const PROCESS_SET_INFORMATION: u32 = 0x0200;
/// MaxIoPriorityTypes: IoPriorityVeryLow (0) .. IoPriorityCritical (4).
const MAX_IO_PRIORITY_TYPES: u64 = 5;
/// IoPriorityNormal: what a process starts with.
pub const IO_PRIORITY_NORMAL: u32 = 2;
/// QUOTA_LIMITS_HARDWS_* and QUOTA_LIMITS_USE_DEFAULT_LIMITS.
const HARDWS_MIN_ENABLE: u32 = 0x1;
const HARDWS_MIN_DISABLE: u32 = 0x2;
const HARDWS_MAX_ENABLE: u32 = 0x4;
const HARDWS_MAX_DISABLE: u32 = 0x8;
const USE_DEFAULT_LIMITS: u32 = 0x10;

/// What a driver set on a process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessSettings {
    pub break_on_termination: bool,
    pub io_priority: u32,
    /// (minimum, maximum) working set in bytes, once set.
    pub working_set: Option<(u64, u64)>,
    /// Hard limits: (minimum, maximum).
    pub hard_working_set: (bool, bool),
    /// (paged pool, nonpaged pool, page file) quota limits, once set.
    pub quotas: Option<(u64, u64, u64)>,
}

impl Default for ProcessSettings {
    fn default() -> Self {
        ProcessSettings {
            break_on_termination: false,
            io_priority: IO_PRIORITY_NORMAL,
            working_set: None,
            hard_working_set: (false, false),
            quotas: None,
        }
    }
}

/// (sizeof(QUOTA_LIMITS), sizeof(QUOTA_LIMITS_EX), offset of QUOTA_LIMITS_EX.Flags).
fn quota_sizes(arch: Arch) -> (u32, u32, u64) {
    match arch {
        Arch::X86 => (0x20, 0x38, 0x30),
        Arch::X64 => (0x30, 0x58, 0x50),
    }
}

/// The settings of `process` (defaults for one nothing was set on).
pub fn settings(k: &Kx, process: u64) -> ProcessSettings {
    k.ext().tasks.processes.get(&process).cloned().unwrap_or_default()
}

/// NTSTATUS ZwSetInformationProcess(HANDLE ProcessHandle, PROCESSINFOCLASS
/// ProcessInformationClass, PVOID ProcessInformation, ULONG ProcessInformationLength)
pub fn ZwSetInformationProcess(k: &mut Kx, handle: HANDLE, class: u32, info: Ptr, length: u32) -> KResult<NtStatus> {
    let access = if class == PROCESS_QUOTA_LIMITS { PROCESS_SET_QUOTA } else { PROCESS_SET_INFORMATION };
    let process = match object_of(k, handle.0, ObjectKind::Process, access, Mode::Kernel)? {
        Ok(p) => p,
        Err(st) => return Ok(st),
    };
    match class {
        PROCESS_QUOTA_LIMITS => set_quota_limits(k, process, info, length),
        PROCESS_BREAK_ON_TERMINATION | PROCESS_IO_PRIORITY => {
            if length != 4 {
                return Ok(status::INFO_LENGTH_MISMATCH);
            }
            let value = k.mem().read_u32(info.0)?;
            if class == PROCESS_IO_PRIORITY && value as u64 >= MAX_IO_PRIORITY_TYPES {
                return Ok(status::INVALID_PARAMETER);
            }
            let s = k.ext_mut().tasks.processes.entry(process).or_default();
            if class == PROCESS_IO_PRIORITY {
                s.io_priority = value;
            } else {
                s.break_on_termination = value != 0;
            }
            Ok(status::SUCCESS)
        }
        _ => Ok(status::INVALID_INFO_CLASS),
    }
}

fn set_quota_limits(k: &mut Kx, process: u64, info: Ptr, length: u32) -> KResult<NtStatus> {
    let arch = k.arch();
    let (plain, ex, flags_at) = quota_sizes(arch);
    if length != plain && length != ex {
        return Ok(status::INFO_LENGTH_MISMATCH);
    }
    let ps = arch.ptr_size();
    let m = k.mem();
    let field = |i: u64| m.read_ptr(info.0 + i * ps);
    let (paged, nonpaged, min, max, pagefile) = (field(0)?, field(1)?, field(2)?, field(3)?, field(4)?);
    let flags = if length == ex { m.read_u32(info.0 + flags_at)? } else { 0 };
    let known = HARDWS_MIN_ENABLE | HARDWS_MIN_DISABLE | HARDWS_MAX_ENABLE | HARDWS_MAX_DISABLE | USE_DEFAULT_LIMITS;
    let both = |on: u32, off: u32| flags & (on | off) == on | off;
    if flags & !known != 0 || both(HARDWS_MIN_ENABLE, HARDWS_MIN_DISABLE) || both(HARDWS_MAX_ENABLE, HARDWS_MAX_DISABLE)
    {
        return Ok(status::INVALID_PARAMETER);
    }
    let all = arch.mask(u64::MAX);
    let s = k.ext_mut().tasks.processes.entry(process).or_default();
    if min == 0 && max == 0 {
        // Pool and page-file quotas.
        s.quotas = Some((paged, nonpaged, pagefile));
        return Ok(status::SUCCESS);
    }
    if min == all && max == all {
        // Empty the working set: nothing of it is modelled, and the limits stay.
        return Ok(status::SUCCESS);
    }
    if min > max {
        return Ok(status::BAD_WORKING_SET_LIMIT);
    }
    s.working_set = Some((min, max));
    let (mut hard_min, mut hard_max) = s.hard_working_set;
    if flags & HARDWS_MIN_ENABLE != 0 {
        hard_min = true;
    }
    if flags & HARDWS_MIN_DISABLE != 0 {
        hard_min = false;
    }
    if flags & HARDWS_MAX_ENABLE != 0 {
        hard_max = true;
    }
    if flags & HARDWS_MAX_DISABLE != 0 {
        hard_max = false;
    }
    s.hard_working_set = (hard_min, hard_max);
    Ok(status::SUCCESS)
}
