//! Synchronisation: CreateEventA/W, SetEvent, ResetEvent, WaitForSingleObject; critical
//! sections (InitializeCriticalSection(AndSpinCount), EnterCriticalSection,
//! TryEnterCriticalSection, LeaveCriticalSection, DeleteCriticalSection); the x86 exports
//! InterlockedIncrement, InterlockedDecrement, InterlockedExchange, InterlockedExchangeAdd,
//! InterlockedCompareExchange (compiler intrinsics on x64, whose kernel32 lacks them: their
//! table lines are `#[x86]`, and `libraries::find_for` leaves them out for x64 programs).
//!
//! An event is the kernel's event object, with a handle in the process's kernel handle
//! table: a driver the program passes the handle to (ObReferenceObjectByHandle, UserMode)
//! finds the same event and may set it, as on Windows. A named event lives in
//! \BaseNamedObjects (the "Global\" and "Local\" prefixes name the same place: the program
//! runs in session 0), so the program and a driver's IoCreateNotificationEvent meet there.
//! The program's handle is the kernel handle with the low tag bit set (Windows ignores a
//! handle's two low bits; the tag keeps the value apart from the console, file and registry
//! handles kernel32 numbers itself).
//!
//! WaitForSingleObject and WaitForMultipleObjects wait on the kernel's scheduler
//! (`crate::threads`): the process's other threads, driver threads, DPCs and timers run
//! meanwhile and may set the event. With a timeout, the virtual clock moves on to it and the
//! wait returns WAIT_TIMEOUT. A wait with INFINITE that nothing can ever end (every thread
//! of the process waiting for something only they could give, an event nobody else may set)
//! is the kernel's deadlock: the run stops with KernelStop::Deadlock and its wait graph, the
//! clearest account of it. Waitable here: events, threads, the current process and the
//! current thread (their pseudo handles), and a waitable object's handle a driver opened in
//! the process's table; other handles fail with ERROR_INVALID_HANDLE.
//!
//! A critical section is the real RTL_CRITICAL_SECTION in the program's memory, with
//! Windows' (Vista and later) lock word: LockCount -1 when free, -2 held, RecursionCount
//! the owner's depth, OwningThread its thread id. A thread entering a section another
//! thread of the process holds waits for it; the holder's last LeaveCriticalSection hands
//! it to the first waiter (in the order they came, as the sections of Windows XP did). A
//! section held by no thread of the process (its owner ended holding it, or the structure
//! was never initialised) could only be waited for for ever: Windows gives up after its
//! CriticalSectionTimeout and raises STATUS_POSSIBLE_DEADLOCK, which here ends the process
//! at once. Leaving a section the caller does not own changes nothing.
#![allow(non_snake_case)]

use portcullis_emu::Arch;
use portcullis_hle::kernel::{KError, KResult, KernelStop, Kx};
use portcullis_hle::types::{Ptr, HANDLE, PCSTR, PCWSTR};

use crate::error::{ERROR_ALREADY_EXISTS, ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER};
use crate::kernel32::thread::{fail_with_status, me, set_last_error};
use crate::process::Object;
use crate::strings::string_arg;
use crate::table::BOOL;

/// EVENT_ALL_ACCESS: what CreateEvent's handle grants.
const EVENT_ALL_ACCESS: u32 = 0x1F_0003;
pub const WAIT_OBJECT_0: u32 = 0;
pub const WAIT_TIMEOUT: u32 = 0x102;
pub const WAIT_FAILED: u32 = 0xFFFF_FFFF;
pub const INFINITE: u32 = 0xFFFF_FFFF;
/// STATUS_POSSIBLE_DEADLOCK.
const POSSIBLE_DEADLOCK: u32 = 0xC000_0194;
/// The tag bit of the program's kernel-object handles: bit 1, one of the two low bits
/// Windows leaves to tags (bit 0 of an OVERLAPPED's hEvent keeps its completion off a
/// completion port, so it must stay clear).
const TAG: u64 = 2;
/// Longest object name, in characters (MAX_PATH).
const MAX_NAME: usize = 260;

/// The object path of a program's object name.
fn object_path(name: &str) -> String {
    let bare = name.strip_prefix("Global\\").or_else(|| name.strip_prefix("Local\\")).unwrap_or(name);
    format!("\\BaseNamedObjects\\{bare}")
}

/// The kernel handle behind the program's event handle `h`.
fn event_handle(k: &mut Kx, h: u64) -> Option<u64> {
    match crate::current(k)?.handles.get(&h) {
        Some(Object::Event { handle }) => Some(*handle),
        _ => None,
    }
}

/// Most handles WaitForMultipleObjects takes (MAXIMUM_WAIT_OBJECTS).
const MAXIMUM_WAIT_OBJECTS: u32 = 64;

/// The dispatcher object a program's handle names for a wait: the pseudo handles, events,
/// threads. Err: the call fails with that NTSTATUS (ERROR_INVALID_HANDLE for handles that
/// are none of these).
fn waitable(k: &mut Kx, h: u64) -> KResult<Result<u64, u32>> {
    if h == k.arch().mask(u64::MAX) {
        return Ok(Ok(me(k)?.eprocess));
    }
    if h == k.arch().mask(u64::MAX - 1) {
        return Ok(Ok(crate::threads::me(k)?.ethread));
    }
    let handle = match crate::current(k).and_then(|p| p.handles.get(&h)) {
        Some(Object::Event { handle }) | Some(Object::Thread { handle, .. }) | Some(Object::Process { handle, .. }) => {
            *handle
        }
        Some(_) => return Ok(Err(STATUS_INVALID_HANDLE)),
        // A handle kernel32 did not make: one a driver opened in the process's table (the
        // thread handle RtlCreateUserThread gives, say), if it is one.
        None => h,
    };
    Ok(portcullis_hle::ke::wait::user_waitable(k, handle)?.map_err(|st| st.0))
}

/// STATUS_INVALID_HANDLE.
const STATUS_INVALID_HANDLE: u32 = 0xC000_0008;

/// Waits for `objects` (any, or `all`) for `ms`: the wait's value, or 0 when the thread is
/// held (its call completes with the value when it goes on).
fn wait_for(k: &mut Kx, objects: &[u64], all: bool, ms: u32) -> KResult<u32> {
    let timeout = (ms != INFINITE).then(|| -(i64::from(ms) * 10_000));
    let st = crate::threads::wait(k, objects, all, timeout, crate::threads::OnWake::WaitStatus)?;
    Ok(st.unwrap_or(0) as u32)
}

/// CreateEventA/W: a new event, or the existing one of that name (ERROR_ALREADY_EXISTS).
fn create_event(k: &mut Kx, manual: BOOL, initial: BOOL, name: u64, wide: bool) -> KResult<HANDLE> {
    let name = string_arg(k, name, wide, MAX_NAME)?.filter(|n| !n.is_empty()).map(|n| object_path(&n));
    match portcullis_hle::ke::event::create_for_user(k, name, manual.0, initial.0, EVENT_ALL_ACCESS)? {
        Ok((handle, existed)) => {
            let h = handle | TAG;
            me(k)?.handles.insert(h, Object::Event { handle });
            set_last_error(k, if existed { ERROR_ALREADY_EXISTS } else { 0 })?;
            Ok(HANDLE(h))
        }
        Err(st) => {
            fail_with_status(k, st.0)?;
            Ok(HANDLE(0))
        }
    }
}

/// HANDLE CreateEventA(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset, BOOL
/// bInitialState, LPCSTR lpName)
pub fn CreateEventA(k: &mut Kx, _security: Ptr, manual: BOOL, initial: BOOL, name: PCSTR) -> KResult<HANDLE> {
    create_event(k, manual, initial, name.0, false)
}

/// HANDLE CreateEventW(LPSECURITY_ATTRIBUTES, BOOL, BOOL, LPCWSTR lpName)
pub fn CreateEventW(k: &mut Kx, _security: Ptr, manual: BOOL, initial: BOOL, name: PCWSTR) -> KResult<HANDLE> {
    create_event(k, manual, initial, name.0, true)
}

fn set_or_reset(k: &mut Kx, h: HANDLE, reset: bool) -> KResult<BOOL> {
    let Some(handle) = event_handle(k, h.0) else {
        set_last_error(k, ERROR_INVALID_HANDLE)?;
        return Ok(BOOL(false));
    };
    let st = portcullis_hle::ke::event::set_for_user(k, handle, reset)?;
    if st.0 & 0x8000_0000 != 0 {
        fail_with_status(k, st.0)?;
        return Ok(BOOL(false));
    }
    Ok(BOOL(true))
}

/// BOOL SetEvent(HANDLE hEvent): waiters wake (all of a manual-reset event's, one of an
/// auto-reset one's, which stays clear then).
pub fn SetEvent(k: &mut Kx, h: HANDLE) -> KResult<BOOL> {
    set_or_reset(k, h, false)
}

/// BOOL ResetEvent(HANDLE hEvent)
pub fn ResetEvent(k: &mut Kx, h: HANDLE) -> KResult<BOOL> {
    set_or_reset(k, h, true)
}

/// DWORD WaitForSingleObject(HANDLE hHandle, DWORD dwMilliseconds): WAIT_OBJECT_0,
/// WAIT_TIMEOUT, or WAIT_FAILED with the last error.
pub fn WaitForSingleObject(k: &mut Kx, h: HANDLE, ms: u32) -> KResult<u32> {
    match waitable(k, h.0)? {
        Ok(object) => wait_for(k, &[object], false, ms),
        Err(st) => {
            fail_with_status(k, st)?;
            Ok(WAIT_FAILED)
        }
    }
}

/// DWORD WaitForMultipleObjects(DWORD nCount, const HANDLE *lpHandles, BOOL bWaitAll, DWORD
/// dwMilliseconds): WAIT_OBJECT_0 + the index of the object that ended the wait (the first
/// signaled one, or with bWaitAll all of them at once: WAIT_OBJECT_0), WAIT_TIMEOUT, or
/// WAIT_FAILED with the last error (no handles or more than 64, a handle twice with
/// bWaitAll: ERROR_INVALID_PARAMETER).
pub fn WaitForMultipleObjects(k: &mut Kx, count: u32, handles: Ptr, all: BOOL, ms: u32) -> KResult<u32> {
    if count == 0 || count > MAXIMUM_WAIT_OBJECTS {
        set_last_error(k, ERROR_INVALID_PARAMETER)?;
        return Ok(WAIT_FAILED);
    }
    let ps = k.arch().ptr_size();
    let mut objects = Vec::with_capacity(count as usize);
    for i in 0..count as u64 {
        let h = k.mem().read_ptr(handles.0 + i * ps)?;
        match waitable(k, h)? {
            Ok(o) => objects.push(o),
            Err(st) => {
                fail_with_status(k, st)?;
                return Ok(WAIT_FAILED);
            }
        }
    }
    if all.0 && objects.iter().enumerate().any(|(i, o)| objects[..i].contains(o)) {
        set_last_error(k, ERROR_INVALID_PARAMETER)?;
        return Ok(WAIT_FAILED);
    }
    wait_for(k, &objects, all.0, ms)
}

/// RTL_CRITICAL_SECTION field offsets: (LockCount, RecursionCount, OwningThread,
/// LockSemaphore, SpinCount, size).
fn cs_layout(arch: Arch) -> (u64, u64, u64, u64, u64, u64) {
    match arch {
        Arch::X86 => (0x4, 0x8, 0xC, 0x10, 0x14, 0x18),
        Arch::X64 => (0x8, 0xC, 0x10, 0x18, 0x20, 0x28),
    }
}

fn initialize(k: &mut Kx, cs: Ptr, spin: u64) -> KResult<()> {
    let (lock, _, _, _, spin_at, size) = cs_layout(k.arch());
    let mem = k.mem_mut();
    mem.write(cs.0, &vec![0u8; size as usize])?;
    // No debug information is kept (Windows 8 and later mark that with -1).
    mem.write_ptr(cs.0, u64::MAX)?;
    mem.write_u32(cs.0 + lock, u32::MAX)?;
    mem.write_ptr(cs.0 + spin_at, spin)?;
    Ok(())
}

/// VOID InitializeCriticalSection(LPCRITICAL_SECTION lpCriticalSection)
pub fn InitializeCriticalSection(k: &mut Kx, cs: Ptr) -> KResult<()> {
    initialize(k, cs, 0)
}

/// BOOL InitializeCriticalSectionAndSpinCount(LPCRITICAL_SECTION, DWORD dwSpinCount): the
/// spin count is kept on a machine of several processors only, as Windows does.
pub fn InitializeCriticalSectionAndSpinCount(k: &mut Kx, cs: Ptr, spin: u32) -> KResult<BOOL> {
    let spin = if k.cpus() > 1 { u64::from(spin & 0x00FF_FFFF) } else { 0 };
    initialize(k, cs, spin)?;
    Ok(BOOL(true))
}

/// Takes the section if free or the caller's; whether it did.
fn try_enter(k: &mut Kx, cs: Ptr) -> KResult<bool> {
    let (lock, recursion, owner, ..) = cs_layout(k.arch());
    let tid = crate::threads::me(k)?.tid;
    let mem = k.mem_mut();
    let lock_count = mem.read_u32(cs.0 + lock)? as i32;
    if lock_count & 1 != 0 {
        // Free (bit 0 set): taken.
        mem.write_u32(cs.0 + lock, (lock_count - 1) as u32)?;
        mem.write_ptr(cs.0 + owner, tid)?;
        mem.write_u32(cs.0 + recursion, 1)?;
        return Ok(true);
    }
    if mem.read_ptr(cs.0 + owner)? == tid {
        let depth = mem.read_u32(cs.0 + recursion)?;
        mem.write_u32(cs.0 + recursion, depth.wrapping_add(1))?;
        return Ok(true);
    }
    Ok(false)
}

/// VOID EnterCriticalSection(LPCRITICAL_SECTION lpCriticalSection)
pub fn EnterCriticalSection(k: &mut Kx, cs: Ptr) -> KResult<()> {
    if try_enter(k, cs)? {
        return Ok(());
    }
    let owner_at = cs.0 + cs_layout(k.arch()).2;
    let owner = k.mem().read_ptr(owner_at)?;
    let holder_lives =
        crate::threads::index_of(k, owner).is_some_and(|i| me(k).is_ok_and(|p| p.threads[i].exit_code.is_none()));
    if holder_lives {
        // Its holder hands it over when it leaves it (LeaveCriticalSection).
        let tid = crate::threads::me(k)?.tid;
        me(k)?.sections.entry(cs.0).or_default().push_back(tid);
        crate::threads::wait_for_lock(k, cs.0)?;
        return Ok(());
    }
    let pc = portcullis_hle::kernel::caller(k);
    Err(KError::Stop(portcullis_emu::Stop::Host(KernelStop::UserException {
        code: POSSIBLE_DEADLOCK,
        pc,
        reason: format!(
            "EnterCriticalSection({:#x}) waits for a section no thread of the process holds, for ever",
            cs.0
        ),
    })))
}

/// BOOL TryEnterCriticalSection(LPCRITICAL_SECTION lpCriticalSection)
pub fn TryEnterCriticalSection(k: &mut Kx, cs: Ptr) -> KResult<BOOL> {
    Ok(BOOL(try_enter(k, cs)?))
}

/// VOID LeaveCriticalSection(LPCRITICAL_SECTION lpCriticalSection)
pub fn LeaveCriticalSection(k: &mut Kx, cs: Ptr) -> KResult<()> {
    let (lock, recursion, owner, ..) = cs_layout(k.arch());
    let tid = crate::threads::me(k)?.tid;
    let mem = k.mem_mut();
    let depth = mem.read_u32(cs.0 + recursion)?;
    if mem.read_ptr(cs.0 + owner)? != tid || depth == 0 {
        return Ok(());
    }
    mem.write_u32(cs.0 + recursion, depth - 1)?;
    if depth == 1 {
        let next = me(k)?.sections.get_mut(&cs.0).and_then(|q| q.pop_front());
        if let Some(next) = next {
            // The first waiter owns it now, once.
            let mem = k.mem_mut();
            mem.write_ptr(cs.0 + owner, next)?;
            mem.write_u32(cs.0 + recursion, 1)?;
            crate::threads::hand_over(k, next);
            return Ok(());
        }
        let mem = k.mem_mut();
        mem.write_ptr(cs.0 + owner, 0)?;
        let lock_count = mem.read_u32(cs.0 + lock)?;
        mem.write_u32(cs.0 + lock, lock_count.wrapping_add(1))?;
    }
    Ok(())
}

/// VOID DeleteCriticalSection(LPCRITICAL_SECTION lpCriticalSection): the structure is
/// cleared.
pub fn DeleteCriticalSection(k: &mut Kx, cs: Ptr) -> KResult<()> {
    me(k)?.sections.remove(&cs.0);
    let size = cs_layout(k.arch()).5;
    Ok(k.mem_mut().write(cs.0, &vec![0u8; size as usize])?)
}

/// Replaces the LONG at `target` with `f(old)`; the old value.
fn interlocked(k: &mut Kx, target: Ptr, f: impl FnOnce(i32) -> i32) -> KResult<i32> {
    let old = k.mem().read_u32(target.0)? as i32;
    k.mem_mut().write_u32(target.0, f(old) as u32)?;
    Ok(old)
}

/// LONG InterlockedIncrement(LONG volatile *Addend): the new value.
pub fn InterlockedIncrement(k: &mut Kx, addend: Ptr) -> KResult<i32> {
    Ok(interlocked(k, addend, |v| v.wrapping_add(1))?.wrapping_add(1))
}

/// LONG InterlockedDecrement(LONG volatile *Addend): the new value.
pub fn InterlockedDecrement(k: &mut Kx, addend: Ptr) -> KResult<i32> {
    Ok(interlocked(k, addend, |v| v.wrapping_sub(1))?.wrapping_sub(1))
}

/// LONG InterlockedExchange(LONG volatile *Target, LONG Value): the old value.
pub fn InterlockedExchange(k: &mut Kx, target: Ptr, value: i32) -> KResult<i32> {
    interlocked(k, target, |_| value)
}

/// LONG InterlockedExchangeAdd(LONG volatile *Addend, LONG Value): the old value.
pub fn InterlockedExchangeAdd(k: &mut Kx, addend: Ptr, value: i32) -> KResult<i32> {
    interlocked(k, addend, |v| v.wrapping_add(value))
}

/// LONG InterlockedCompareExchange(LONG volatile *Destination, LONG ExChange, LONG
/// Comperand): the old value; replaced only when it equalled Comperand.
pub fn InterlockedCompareExchange(k: &mut Kx, destination: Ptr, exchange: i32, comperand: i32) -> KResult<i32> {
    interlocked(k, destination, |v| if v == comperand { exchange } else { v })
}

/// The RTL_CRITICAL_SECTION_FLAG_* bits InitializeCriticalSectionEx takes (the top byte;
/// CRITICAL_SECTION_NO_DEBUG_INFO among them).
const CRITICAL_SECTION_FLAGS: u32 = 0xFF00_0000;

/// BOOL InitializeCriticalSectionEx(LPCRITICAL_SECTION, DWORD dwSpinCount, DWORD Flags):
/// InitializeCriticalSectionAndSpinCount; a flag outside RTL_CRITICAL_SECTION_ALL_FLAG_BITS
/// is ERROR_INVALID_PARAMETER. (No debug information is kept either way.)
pub fn InitializeCriticalSectionEx(k: &mut Kx, cs: Ptr, spin: u32, flags: u32) -> KResult<BOOL> {
    if flags & !CRITICAL_SECTION_FLAGS != 0 {
        crate::kernel32::thread::set_last_error(k, crate::error::ERROR_INVALID_PARAMETER)?;
        return Ok(BOOL(false));
    }
    InitializeCriticalSectionAndSpinCount(k, cs, spin)
}
