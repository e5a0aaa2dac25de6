//! The one path from guest to host: every call a driver makes into the kernel — an export of a
//! table, a kernel-internal routine reached through a pointer, or a stub standing in for a
//! missing import — lands in one host-call slot of the [`CallRegistry`], goes through
//! [`dispatch`], and is recorded as one [`ApiCall`] trace event of one shape.
//!
//! Slots are numbered as the machine numbers them, across regions: first the exports and
//! internal routines of the architecture ([`exports::for_arch`]), in the `.text` of the
//! kernel's own images ([`crate::loader::system`]), then the stubs of each driver's missing
//! imports (a region per load).

use std::borrow::Cow;

use portcullis_emu::{Arch, Event, MachineError, Reg, Stop};

use crate::exports::signatures::{RetKind, Shape, Signature};
use crate::exports::{self, ArchExports, ArgValue, CallArgs, FunctionDef};
use crate::ke::scheduler::After;
use crate::kernel::{caller, ApiCall, KernelEvent, KernelStop, Kx};
use crate::types::status;

/// Every host-callable routine of one kernel.
pub struct CallRegistry {
    /// The exports and internal routines of the architecture: slots `0..functions.len()`.
    pub(crate) functions: &'static ArchExports,
    /// Where each of those slots is, by slot ([`crate::loader::system`] places them in the
    /// `.text` of their library's image), and the same sorted by address.
    pub(crate) addresses: Vec<u64>,
    pub(crate) by_address: Vec<(u64, u32)>,
    /// Slots after the routines that other handlers own (the scheduler's return slots).
    pub(crate) reserved: u32,
    /// Stubs for missing routines: slot `functions.len() + reserved + i` is `missing[i]`.
    pub(crate) missing: Vec<MissingStub>,
    /// Zeroed variables standing in for missing data imports.
    pub(crate) missing_data: Vec<MissingStub>,
}

/// What stands in for an import the kernel does not implement (`--missing-imports stub`).
#[derive(Clone, Debug)]
pub struct MissingStub {
    /// The library, as the kernel names it (or as the image does when the kernel does not
    /// know it).
    pub dll: Cow<'static, str>,
    pub name: Cow<'static, str>,
    /// The routine as the real library exports it, when the signature list knows it on this
    /// architecture: the stub then pops what the routine pops and fails the way its return
    /// type allows.
    pub signature: Option<&'static Signature>,
    /// Where the import is bound: a host-call slot, or for a variable a zeroed one.
    pub address: u64,
    /// A variable, not a routine.
    pub data: bool,
}

impl MissingStub {
    /// `dll!name`.
    pub fn full_name(&self) -> String {
        format!("{}!{}", self.dll, self.name)
    }
}

/// How a stub for a routine of known signature answers: nothing that reads as success or as
/// a usable value.
pub fn stub_return(ret: RetKind) -> (u64, bool) {
    match ret {
        RetKind::Status | RetKind::Unknown => (status::NOT_IMPLEMENTED.0 as u64, false),
        RetKind::Void | RetKind::Bool | RetKind::Ptr | RetKind::Int => (0, false),
        RetKind::Wide => (0, true),
    }
}

impl CallRegistry {
    pub(crate) fn new(functions: &'static ArchExports) -> CallRegistry {
        CallRegistry {
            functions,
            addresses: Vec::new(),
            by_address: Vec::new(),
            reserved: 0,
            missing: Vec::new(),
            missing_data: Vec::new(),
        }
    }

    /// The address of the kernel routine in slot `slot`.
    pub fn address(&self, slot: u32) -> u64 {
        self.addresses.get(slot as usize).copied().unwrap_or(0)
    }

    /// Records where the routines' slots are (`addresses[slot]`).
    pub(crate) fn set_addresses(&mut self, addresses: Vec<u64>) {
        let mut by_address: Vec<(u64, u32)> =
            addresses.iter().enumerate().filter(|(_, a)| **a != 0).map(|(i, a)| (*a, i as u32)).collect();
        by_address.sort_unstable();
        self.addresses = addresses;
        self.by_address = by_address;
    }

    /// The routine whose host-call slot holds `addr`, as (library, name).
    pub fn routine_at(&self, addr: u64) -> Option<(&str, &str)> {
        let slot = portcullis_emu::HOST_CALL_SLOT;
        let i = self.by_address.partition_point(|(a, _)| *a <= addr);
        let routine = i
            .checked_sub(1)
            .map(|i| self.by_address[i])
            .filter(|(a, _)| addr - a < slot)
            .and_then(|(_, s)| self.functions.functions.get(s as usize));
        if let Some(f) = routine {
            return Some((f.dll.name(), f.name));
        }
        let stub = self.missing.iter().find(|s| addr >= s.address && addr - s.address < slot)?;
        Some((&stub.dll, &stub.name))
    }

    /// The stubs made for missing imports so far: routines, then variables.
    pub fn missing(&self) -> impl Iterator<Item = &MissingStub> {
        self.missing.iter().chain(&self.missing_data)
    }
}

/// The host-call handler of every slot.
pub(crate) fn dispatch(k: &mut Kx, slot: u32) -> Result<(), Stop<KernelStop>> {
    let functions = k.ext().calls.functions;
    match functions.functions.get(slot as usize) {
        Some(f) => call_function(k, f),
        None => {
            let i = slot as usize - functions.functions.len() - k.ext().calls.reserved as usize;
            match k.ext().calls.missing.get(i) {
                Some(stub) => {
                    let stub = stub.clone();
                    call_stub(k, &stub);
                    Ok(())
                }
                None => Err(Stop::Machine(MachineError::NoHostCall(slot))),
            }
        }
    }
}

fn call_function(k: &mut Kx, f: &'static FunctionDef) -> Result<(), Stop<KernelStop>> {
    let arch = k.arch();
    let at = caller(k);
    let slot = k.host_call_pc();
    let args = if k.ext().options.record_calls { Some(read_for_trace(k, f.args(arch), f.params)) } else { None };
    let mut call = f.args(arch);
    match (f.wrapper)(k, &mut call) {
        Ok(raw) => match crate::ke::scheduler::take_after(k) {
            None => {
                finish_call(k, f, raw, args, at);
                Ok(())
            }
            Some(After::Deliver) => {
                finish_call(k, f, raw, args, at);
                if crate::ke::scheduler::deliver(k)? {
                    crate::ke::scheduler::share(k, slot, raw, f.ret_wide)?;
                }
                Ok(())
            }
            Some(After::Park) => {
                // The call completes when its context resumes: traced then, with its value.
                let call = args.map(|a| ApiCall {
                    dll: f.dll.name().into(),
                    name: f.name.into(),
                    args: a,
                    ret: None,
                    ret_kind: f.ret,
                    caller: at,
                    missing: false,
                });
                crate::ke::scheduler::park(k, call, f.ret_wide)
            }
            Some(After::Gone) => {
                // It never returns.
                if let Some(args) = args {
                    record(k, f.dll.name().into(), f.name.into(), args, None, at, false);
                }
                crate::ke::scheduler::gone(k)
            }
        },
        Err(e) => {
            crate::ke::scheduler::take_after(k);
            if let Some(args) = args {
                record(k, f.dll.name().into(), f.name.into(), args, None, at, false);
            }
            Err(crate::seh::trap::routine_failed(k, e, f.name, at))
        }
    }
}

/// Sets the return register and records the call.
fn finish_call(k: &mut Kx, f: &'static FunctionDef, raw: u64, args: Option<Vec<(&'static str, ArgValue)>>, at: u64) {
    if f.ret_wide {
        k.set_return_u64(raw);
    } else {
        k.set_return(raw);
    }
    if let Some(args) = args {
        record(k, f.dll.name().into(), f.name.into(), args, f.ret.map(|kind| (raw, kind)), at, false);
    }
}

/// A missing import's stub: records the call and fails it harmlessly. With a signature it pops
/// exactly the routine's arguments (its slot holds `ret N`) and returns what its type makes a
/// failure; without one (a name the list does not know) it returns STATUS_NOT_IMPLEMENTED, and
/// on x86 pops what the caller's `sub esp, N` after the call says (how gcc rebalances after a
/// stdcall call), or nothing.
fn call_stub(k: &mut Kx, stub: &MissingStub) {
    let arch = k.arch();
    let at = caller(k);
    let shape = stub.signature.map(|s| (s, s.shape(arch)));
    let (args, ret, ret_kind) = match shape {
        Some((sig, Shape::Function { conv, .. })) => {
            let args = match sig.params {
                Some(params) if k.ext().options.record_calls => {
                    read_for_trace(k, CallArgs::new(conv.for_arch(arch), arch), params)
                }
                _ => Vec::new(),
            };
            let (value, wide) = stub_return(sig.ret);
            if wide {
                k.set_return_u64(value);
            } else {
                k.set_return(value);
            }
            let kind = match sig.ret {
                RetKind::Unknown => Some(crate::types::ArgKind::Status),
                _ => sig.ret_arg_kind(),
            };
            (args, value, kind)
        }
        _ => {
            if arch == Arch::X86 {
                gcc_rebalance(k, at);
            }
            k.set_return(status::NOT_IMPLEMENTED.0 as u64);
            (Vec::new(), status::NOT_IMPLEMENTED.0 as u64, Some(crate::types::ArgKind::Status))
        }
    };
    record(k, stub.dll.clone(), stub.name.clone(), args, ret_kind.map(|kind| (ret, kind)), at, true);
}

/// Pops what the caller's `sub esp, N` right after the call says a stdcall routine should
/// have popped (the only hint an unknown routine leaves).
fn gcc_rebalance(k: &mut Kx, at: u64) {
    let after = k.mem().read_partial(at, 6);
    let pops = match after.as_slice() {
        [0x83, 0xEC, n, ..] => *n as u64,
        [0x81, 0xEC, a, b, c, d, ..] => u32::from_le_bytes([*a, *b, *c, *d]) as u64,
        _ => 0,
    };
    if pops > 0 && pops < 0x1000 {
        let sp = k.reg(Reg::Sp);
        if k.mem_mut().write_ptr(sp + pops, at).is_ok() {
            k.set_reg(Reg::Sp, sp + pops);
        }
    }
}

/// The arguments as the trace shows them, read before the call can change them.
fn read_for_trace(k: &Kx, mut call: CallArgs, params: &[exports::Param]) -> Vec<(&'static str, ArgValue)> {
    let arch = k.arch();
    let mut out = Vec::with_capacity(params.len());
    for p in params {
        let raw = if p.wide && arch == Arch::X86 {
            let lo = call.slot(k).unwrap_or(0);
            let hi = call.slot(k).unwrap_or(0);
            lo | hi << 32
        } else {
            call.slot(k).unwrap_or(0)
        };
        out.push((p.name, exports::args::decode(k.mem(), p.kind, raw)));
    }
    out
}

fn record(
    k: &mut Kx,
    dll: Cow<'static, str>,
    name: Cow<'static, str>,
    args: Vec<(&'static str, ArgValue)>,
    ret: Option<(u64, crate::types::ArgKind)>,
    caller: u64,
    missing: bool,
) {
    let call = ApiCall { dll, name, args, ret: ret.map(|r| r.0), ret_kind: ret.map(|r| r.1), caller, missing };
    k.guest_mut().trace.push(Event::Ext(KernelEvent::Call(call)));
}
