//! The kernel: the state the emulated ntoskrnl/hal keep, plugged into the machine as its
//! extension, and the dispatcher that turns a call into an export slot into a Rust call.

use portcullis_emu::{Arch, Event, Extension, Machine, MachineConfig, MachineError, MemError, Reg, Stop};
use serde::Serialize;

use crate::ex::pool::Pool;
use crate::exports::{self, ArgValue, CallArgs, ExportDef, FunctionDef};
use crate::io::IoManager;
use crate::ob::ObjectManager;
use crate::ps::System;
use crate::types::ArgKind;

/// The machine with the kernel in it: what every export function receives.
pub type Kx = Machine<Kernel>;

/// What an export function returns.
pub type KResult<T> = Result<T, KError>;

/// Why a piece of kernel code could not finish.
#[derive(Debug, Clone)]
pub enum KError {
    /// The run must stop (a guest fault inside a nested call, a bugcheck, a limit).
    Stop(Stop<KernelStop>),
    /// Kernel code touched guest memory that is not there: on Windows, a page fault in
    /// kernel mode. The dispatcher turns it into the bugcheck Windows would raise.
    Mem(MemError),
}

impl From<MemError> for KError {
    fn from(e: MemError) -> Self {
        KError::Mem(e)
    }
}

impl From<Stop<KernelStop>> for KError {
    fn from(s: Stop<KernelStop>) -> Self {
        KError::Stop(s)
    }
}

impl From<MachineError> for KError {
    fn from(e: MachineError) -> Self {
        KError::Stop(Stop::Machine(e))
    }
}

/// A bugcheck: the kernel's own way of stopping.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Bugcheck {
    pub code: u32,
    pub name: &'static str,
    pub params: [u64; 4],
    /// Address of the code that caused it (the caller of KeBugCheckEx, or of the export
    /// that failed).
    pub caller: u64,
    /// What the kernel knows beyond the code.
    pub reason: String,
}

impl std::fmt::Display for Bugcheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "bugcheck {:#010x} {} ({:#x}, {:#x}, {:#x}, {:#x}) from {:#x}",
            self.code, self.name, self.params[0], self.params[1], self.params[2], self.params[3], self.caller
        )?;
        if !self.reason.is_empty() {
            write!(f, ": {}", self.reason)?;
        }
        Ok(())
    }
}

/// Reasons the kernel stops a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum KernelStop {
    Bugcheck(Bugcheck),
}

/// One call of an export, as the trace records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ApiCall {
    pub dll: &'static str,
    pub name: &'static str,
    pub args: Vec<(&'static str, ArgValue)>,
    /// The raw return value; absent for VOID routines and calls that did not return.
    pub ret: Option<u64>,
    /// How to read `ret` ("status", "ptr", ...).
    pub ret_kind: Option<ArgKind>,
    /// The return address: where in the driver the call came from.
    pub caller: u64,
}

/// Output of DbgPrint and friends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DebugOutput {
    pub text: String,
    pub component: Option<u32>,
    pub level: Option<u32>,
    pub caller: u64,
}

/// The kernel's trace events, in the machine's one ordered stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KernelEvent {
    Call(ApiCall),
    Debug(DebugOutput),
    Bugcheck(Bugcheck),
    /// A call to an import the kernel does not implement, bound to a recording stub.
    MissingCall {
        dll: String,
        name: String,
        caller: u64,
    },
}

/// What to do with imports the kernel does not implement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingImports {
    /// Refuse to load, listing every missing `dll!name`.
    #[default]
    Error,
    /// Bind each to a stub that records the call and returns STATUS_NOT_IMPLEMENTED.
    Stub,
}

/// How the kernel behaves.
#[derive(Clone, Debug)]
pub struct KernelOptions {
    /// Record every export call with decoded arguments (on by default).
    pub record_calls: bool,
    pub missing_imports: MissingImports,
}

impl Default for KernelOptions {
    fn default() -> Self {
        KernelOptions { record_calls: true, missing_imports: MissingImports::Error }
    }
}

/// The kernel's state.
pub struct Kernel {
    pub arch: Arch,
    pub options: KernelOptions,
    /// The exports of this architecture, in slot order.
    pub(crate) functions: Vec<FunctionDef>,
    /// Address of slot 0 of the export stubs.
    pub(crate) stubs: u64,
    pub(crate) system: System,
    pub pool: Pool,
    pub objects: ObjectManager,
    pub io: IoManager,
    pub(crate) drivers: Vec<crate::loader::LoadedDriver>,
    /// Stubs for missing imports: (stub address, dll, name).
    pub(crate) missing_stubs: Vec<(u64, String, String)>,
}

impl Extension for Kernel {
    type Event = KernelEvent;
    type Stop = KernelStop;
}

impl Kernel {
    /// Boots a kernel on a fresh machine of `config.arch`.
    pub fn boot(config: MachineConfig, options: KernelOptions) -> Result<Kx, MachineError> {
        let arch = config.arch;
        let functions: Vec<FunctionDef> = exports::all()
            .into_iter()
            .filter_map(|e| match e {
                ExportDef::Function(f) if f.exists_on(arch) => Some(f),
                _ => None,
            })
            .collect();
        let kernel = Kernel {
            arch,
            options,
            functions,
            stubs: 0,
            system: System::default(),
            pool: Pool::default(),
            objects: ObjectManager::default(),
            io: IoManager::default(),
            drivers: Vec::new(),
            missing_stubs: Vec::new(),
        };
        let mut k = Machine::new(config, kernel)?;
        let bodies: Vec<Vec<u8>> = k.ext().functions.iter().map(|f| f.return_code(arch)).collect();
        let stubs = k.add_host_calls("ntoskrnl/hal exports", &bodies, dispatch)?;
        k.ext_mut().stubs = stubs;
        crate::ps::boot(&mut k).map_err(|e| MachineError::Other(format!("kernel boot: {e:?}")))?;
        crate::io::boot(&mut k).map_err(|e| MachineError::Other(format!("kernel boot: {e:?}")))?;
        Ok(k)
    }

    /// The address a driver's import of `dll!name` binds to, if the kernel implements it.
    pub fn resolve(&self, dll: crate::exports::Dll, name: &str) -> Option<u64> {
        if let Some(i) = self.functions.iter().position(|f| f.dll == dll && f.name == name) {
            return Some(self.stubs + i as u64 * portcullis_emu::HOST_CALL_SLOT);
        }
        self.system.data_export(dll, name)
    }

    /// The loaded drivers.
    pub fn drivers(&self) -> &[crate::loader::LoadedDriver] {
        &self.drivers
    }

    /// The driver whose image contains `pc`.
    pub fn driver_at(&self, pc: u64) -> Option<usize> {
        self.drivers.iter().position(|d| d.image.contains(pc))
    }
}

/// The return address of the export being called (at the top of the stack on entry).
pub fn caller(k: &Kx) -> u64 {
    let sp = k.reg(Reg::Sp);
    k.mem().read_ptr(sp).unwrap_or(0)
}

/// Host-call handler for every export slot.
fn dispatch(k: &mut Kx, slot: u32) -> Result<(), Stop<KernelStop>> {
    let Some(f) = k.ext().functions.get(slot as usize).copied() else {
        return Err(Stop::Machine(MachineError::NoHostCall(slot)));
    };
    let arch = k.arch();
    let conv = f.conv_on(arch);
    let caller = caller(k);
    let args = if k.ext().options.record_calls { Some(read_for_trace(k, &f)) } else { None };
    let mut call = CallArgs::new(conv, arch);
    let result = (f.wrapper)(k, &mut call);
    match result {
        Ok(raw) => {
            if f.ret_wide {
                k.set_return_u64(raw);
            } else {
                k.set_return(raw);
            }
            if let Some(args) = args {
                record_call(k, &f, args, f.ret.map(|_| raw), caller);
            }
            Ok(())
        }
        Err(e) => {
            if let Some(args) = args {
                record_call(k, &f, args, None, caller);
            }
            Err(into_stop(k, e, f.name, caller))
        }
    }
}

fn read_for_trace(k: &Kx, f: &FunctionDef) -> Vec<(&'static str, ArgValue)> {
    let arch = k.arch();
    let mut call = CallArgs::new(f.conv_on(arch), arch);
    let mut out = Vec::with_capacity(f.params.len());
    for p in f.params {
        let raw = if p.wide && arch == Arch::X86 {
            let lo = call.slot(k).unwrap_or(0);
            let hi = call.slot(k).unwrap_or(0);
            lo | hi << 32
        } else {
            call.slot(k).unwrap_or(0)
        };
        out.push((p.name, crate::exports::args::decode(k.mem(), p.kind, raw)));
    }
    out
}

fn record_call(k: &mut Kx, f: &FunctionDef, args: Vec<(&'static str, ArgValue)>, ret: Option<u64>, caller: u64) {
    let ret_kind = ret.and(f.ret);
    let call = ApiCall { dll: f.dll.name(), name: f.name, args, ret, ret_kind, caller };
    k.guest_mut().trace.push(Event::Ext(KernelEvent::Call(call)));
}

/// Turns an export's failure into the reason the run stops.
pub(crate) fn into_stop(k: &mut Kx, e: KError, what: &str, caller: u64) -> Stop<KernelStop> {
    match e {
        KError::Stop(s) => s,
        KError::Mem(m) => {
            let (addr, write) = match m {
                MemError::Unmapped { addr } => (addr, 0),
                MemError::ReadOnly { addr } => (addr, 1),
                other => return Stop::Machine(MachineError::Memory(other)),
            };
            let (code, name) = if write == 1 {
                (0xBE, "ATTEMPTED_WRITE_TO_READONLY_MEMORY")
            } else {
                (0x50, "PAGE_FAULT_IN_NONPAGED_AREA")
            };
            let b = Bugcheck {
                code,
                name,
                params: [addr, write, caller, 0],
                caller,
                reason: format!("{what} touched {addr:#x} on the driver's behalf"),
            };
            bugcheck_stop(k, b)
        }
    }
}

/// Host-call handler of a missing-import stub: records the call, returns
/// STATUS_NOT_IMPLEMENTED. On x86 it pops the bytes the caller's `sub esp, N` (how gcc
/// rebalances after a stdcall call) says the routine should have popped.
pub(crate) fn missing_stub(k: &mut Kx, _slot: u32) -> Result<(), Stop<KernelStop>> {
    let pc = k.reg(Reg::Ip);
    let at = caller(k);
    let Some((_, dll, name)) = k.ext().missing_stubs.iter().find(|(a, _, _)| *a == pc).cloned() else {
        return Err(Stop::Machine(MachineError::NoHostCall(_slot)));
    };
    k.guest_mut().trace.push(Event::Ext(KernelEvent::MissingCall { dll, name, caller: at }));
    if k.arch() == Arch::X86 {
        let after = k.mem().read_partial(at, 6);
        let pops = match after.as_slice() {
            [0x83, 0xEC, n, ..] => *n as u64,
            [0x81, 0xEC, a, b, c, d, ..] => u32::from_le_bytes([*a, *b, *c, *d]) as u64,
            _ => 0,
        };
        if pops > 0 && pops < 0x1000 {
            let sp = k.reg(Reg::Sp);
            k.mem_mut().write_ptr(sp + pops, at).map_err(|e| Stop::Machine(e.into()))?;
            k.set_reg(Reg::Sp, sp + pops);
        }
    }
    k.set_return(crate::types::status::NOT_IMPLEMENTED.0 as u64);
    Ok(())
}

/// Records a bugcheck and returns the stop that ends the run with it.
pub fn bugcheck_stop(k: &mut Kx, b: Bugcheck) -> Stop<KernelStop> {
    k.guest_mut().trace.push(Event::Ext(KernelEvent::Bugcheck(b.clone())));
    Stop::Host(KernelStop::Bugcheck(b))
}
