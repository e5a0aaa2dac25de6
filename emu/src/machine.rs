//! The machine: one Unicorn engine with guest memory, a virtual CPU and a port bus, driver
//! code running deprivileged at CPL3, and the run loop that calls into the guest.
//!
//! Why CPL3 (measured; see docs/architecture.md): at CPL0 Unicorn executes `rdmsr`, `wrmsr`,
//! `cli`, `hlt` and `mov crN` silently and offers no MSR hook at all. At CPL3 each of them
//! raises #GP, which reaches the interrupt hook with RIP on the instruction; the machine
//! decodes it, applies it to the virtual CPU, traces it and moves RIP past it. `in`/`out`
//! never fault (Unicorn stubs out the permission check), so they go through the IN/OUT
//! instruction hooks and the I/O permission check in `ports::iopm`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use hashbrown::HashMap;
use unicorn_engine::unicorn_const::{uc_error, Arch as UcArch, ControlType, HookType, Mode, Prot as UcProt};
use unicorn_engine::{RegisterX86 as UcReg, Unicorn, X86Insn};

use crate::abi::{CallConv, SlotLocation};
use crate::arch::{flags, Arch, Reg};
use crate::context::CpuContext;
use crate::contexts::Exit;
use crate::cpu::descriptors::{self, Selectors, IOPM_SIZE, TSS_SIZE};
use crate::cpu::{CpuIdentity, MsrFile, TableRegister, VirtualCpu};
use crate::decode::Decoder;
use crate::error::MachineError;
use crate::exception::{GuestException, Hook, Resolution};
use crate::fault::{FaultKind, GuestFault, RegValue};
use crate::limits::{LimitHit, Limits, Usage, Watchdog};
use crate::memory::{GuestMemory, MemError, Prot, RegionKind, PAGE_SIZE};
use crate::ports::tss_view::TssView;
use crate::ports::{iopm, Outcome, PortBus, Width};
use crate::privileged;
use crate::trace::{Event, PortEvent, Trace};
use crate::uc::{check, check_version, ExceptionReset, Uc};

/// What the layer above the machine (the kernel) adds to it: its own state, trace events and
/// reasons to stop a run, and what becomes of the exceptions guest code raises.
pub trait Extension: Sized + 'static {
    type Event: Clone + std::fmt::Debug + 'static;
    type Stop: Clone + std::fmt::Debug + 'static;

    /// Offered every exception guest code raises before it ends the run (see
    /// [`crate::exception`]). The default leaves it to end the run as a fault.
    fn on_exception(m: &mut Machine<Self>, e: &GuestException) -> Resolution<Self::Stop> {
        let _ = (m, e);
        Resolution::Fault
    }
}

/// An extension-less machine, for tests and tools that only need the CPU.
impl Extension for () {
    type Event = Never;
    type Stop = Never;
}

/// A type with no values: the events and stops of a machine without an extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Never {}

/// Why a call into the guest did not return normally.
#[derive(Clone, Debug)]
pub enum Stop<S> {
    /// The guest raised an exception.
    Fault(Box<GuestFault>),
    /// A budget ran out.
    Limit(LimitHit),
    /// The guest halted with interrupts disabled: nothing would ever wake it.
    Halted { pc: u64 },
    /// The layer above ended the run (a bugcheck, say).
    Host(S),
    /// The machine itself failed.
    Machine(MachineError),
    /// A signal asked the process to stop (see `crate::interrupt`).
    Interrupted { signal: i32 },
    /// A device reset the machine (the reset control register, the keyboard controller's
    /// reset line, the fast-reset bit): the run ends as the real machine would restart.
    Reset(crate::ports::ResetRequest),
    /// Not an end: the guest's stack is being unwound to this context (an exception handler,
    /// a `longjmp`). Every call into the guest nested below the target is abandoned; the call
    /// whose frames hold the target's stack pointer resumes the guest there.
    Unwind(Box<CpuContext>),
}

impl<S: std::fmt::Debug> std::fmt::Display for Stop<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::Fault(fault) => write!(f, "guest fault: {fault}"),
            Stop::Limit(l) => write!(f, "limit: {l}"),
            Stop::Halted { pc } => write!(f, "the guest halted with interrupts disabled at {pc:#x}"),
            Stop::Reset(r) => write!(f, "the machine was reset ({}: {:#x} to port {:#x})", r.what, r.value, r.port),
            Stop::Host(s) => write!(f, "{s:?}"),
            Stop::Machine(e) => write!(f, "machine error: {e}"),
            Stop::Interrupted { signal } => write!(f, "interrupted by signal {signal}"),
            Stop::Unwind(c) => {
                write!(f, "unwind to {:#x} (stack {:#x}) that no call into the guest owns", c.ip, c.sp())
            }
        }
    }
}

impl<S> From<MachineError> for Stop<S> {
    fn from(e: MachineError) -> Self {
        Stop::Machine(e)
    }
}

/// The privilege the guest is currently running at, as the guest sees it.
/// (Underneath, everything runs at CPL3; see the module doc.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Privilege {
    /// Kernel-mode driver code (virtual CPL0).
    Kernel,
    /// User-mode code (CPL3): port access is checked against the I/O permission map.
    User,
}

impl Privilege {
    pub fn cpl(self) -> u8 {
        match self {
            Privilege::Kernel => 0,
            Privilege::User => 3,
        }
    }
}

/// How to build a machine.
#[derive(Clone, Debug)]
pub struct MachineConfig {
    pub arch: Arch,
    pub limits: Limits,
    pub cpu: CpuIdentity,
    /// Size of the kernel stack driver code runs on.
    pub stack_size: u64,
    /// Size of Unicorn's buffer of translated code. When it fills, every translation is
    /// dropped and hot code is translated again. Unicorn's own default (1 GiB, with huge
    /// pages) costs a 2 MiB page clear per machine, a quarter of set-up; a driver's hot code
    /// translates to far less than the 1 MiB default here.
    pub code_buffer_bytes: u32,
    /// Processors: each gets a control region of its own (reached through GS on x64, FS on
    /// x86; see [`Machine::select_cpu`]). They share the one engine: the layer above
    /// interleaves what runs on each. 1 to [`MAX_CPUS`](crate::MAX_CPUS).
    pub cpus: u32,
}

impl MachineConfig {
    pub fn new(arch: Arch) -> MachineConfig {
        MachineConfig {
            arch,
            limits: Limits::default(),
            cpu: CpuIdentity::default(),
            stack_size: 0x10000,
            code_buffer_bytes: 1 << 20,
            cpus: 1,
        }
    }
}

/// Handles a call into one slot of a host-call region.
pub type HostCallFn<X> = fn(&mut Machine<X>, u32) -> Result<(), Stop<<X as Extension>::Stop>>;

/// Size of one host-call slot.
pub const HOST_CALL_SLOT: u64 = 16;

/// One call into the guest in progress: a run of the flow of guest code that is live in it.
///
/// A run the layer above starts for a flow on a stack of its own (a thread, a processor's
/// DPCs: see `contexts.rs`) is the *root* of that flow's frames, like a top-level call; a
/// call made from inside a hook continues the frames of the code the hook interrupted, on
/// the same stack. When the layer above switches flows inside a run, the run's record
/// becomes the one of the flow switched to (saved with its [`SavedContext`](crate::SavedContext)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuestCall {
    /// The stack pointer the call started with (pointing at its return address): the call's
    /// frames lie at and below it, on its stack.
    pub entry_sp: u64,
    /// The return address at `entry_sp`: where the call returns to the host (a sentinel, or
    /// a slot of the layer above that ends the flow).
    pub returns_to: u64,
    /// For a call made from inside a hook (nested): where the interrupted guest code was, and
    /// its stack pointer. For a root (a top-level call, a flow's run), both 0.
    pub caller_pc: u64,
    pub caller_sp: u64,
    /// The stack the call runs on: `(lowest, highest)` address, the highest one past the end.
    pub stack: (u64, u64),
}

impl GuestCall {
    /// Whether the call is the root of its flow's frames: nothing of the guest lies above it.
    pub fn is_root(&self) -> bool {
        self.caller_pc == 0
    }

    /// Whether `sp` lies in the call's frames: on its stack, at or below where it started.
    pub fn owns(&self, sp: u64) -> bool {
        self.stack.0 <= sp && sp <= self.entry_sp
    }
}

struct HostCalls<X: Extension> {
    base: u64,
    count: u64,
    /// For a region whose slots sit at chosen positions ([`Machine::add_host_calls_placed`]):
    /// the slot at each position, counted from the region's first (`u32::MAX`: none).
    positions: Option<Box<[u32]>>,
    /// The number of this region's first slot: slots are numbered across all regions, in
    /// the order the regions were added.
    first: u32,
    handler: HostCallFn<X>,
}

/// Everything the engine's hooks reach: the machine state.
pub struct Guest<X: Extension> {
    pub(crate) uc: Uc,
    pub arch: Arch,
    pub mem: GuestMemory,
    pub cpu: VirtualCpu,
    pub ports: PortBus,
    pub trace: Trace<X::Event>,
    pub privilege: Privilege,
    /// The layer above's own state.
    pub ext: X,
    pub(crate) limits: Limits,
    pub(crate) usage: Usage,
    pub(crate) stop: Option<Stop<X::Stop>>,
    /// A stop was requested from inside guest execution; the rest of the current translated
    /// block still runs, and must not perform further port accesses.
    pub(crate) stopping: bool,
    pub(crate) depth: u32,
    pub(crate) decoder: Decoder,
    pub(crate) exceptions: ExceptionReset,
    pub(crate) selectors: Selectors,
    /// Return address of top-level calls: a code hook there stops the engine.
    pub(crate) sentinel: u64,
    /// Return address of nested calls (made from inside a hook): Unicorn's stop address.
    pub(crate) nested_sentinel: u64,
    /// Top of the kernel stack kernel code called from a user-mode host call starts on
    /// ([`Machine::set_user_call_stack`]).
    pub(crate) user_call_stack: Option<u64>,
    pub(crate) stack_top: u64,
    pub(crate) tss: u64,
    /// Where the TSS's bytes lie in RAM, for the port permission check.
    pub(crate) tss_view: TssView,
    /// The GDT the processor really uses (a driver's `lgdt` only changes the virtual one).
    pub(crate) gdt: u64,
    /// The machine's own interrupt handlers (256 slots of 16 bytes) its IDT points at: a gate
    /// elsewhere is the guest's own handler (`idt.rs`).
    pub(crate) interrupt_handlers: u64,
    pub(crate) timed_out: Arc<AtomicBool>,
    /// Clock cycles one port access takes (an ISA bus cycle, 1 us).
    pub(crate) io_cycles: u64,
    pub(crate) block_sizes: HashMap<u64, u64>,
    host_calls: Vec<HostCalls<X>>,
    /// Processors (control regions).
    pub(crate) cpus: u32,
    /// A host call suspended the run at this slot (see `contexts.rs`).
    pub(crate) suspended: Option<u64>,
    /// Resuming at this slot completes a suspended host call: its handler is skipped once.
    pub(crate) resume_at: Option<u64>,
    /// The next run's quantum of instructions (see `contexts.rs`).
    pub(crate) quantum: Option<u64>,
    /// The calls into the guest in progress (one per run), innermost last.
    pub(crate) calls: Vec<GuestCall>,
    /// The call record of the flow whose registers are in the engine: set by
    /// [`Machine::prepare_call`] and by restoring a saved context, taken by the next run (or
    /// by a jump inside one), and left by a run that ends (suspended, preempted) with the
    /// flow it ran, for saving with its context.
    pub(crate) live: Option<GuestCall>,
    /// Where the guest is stopped while a hook runs: the host-call slot or the faulting
    /// instruction. (The register reads back wherever a nested call ended.)
    pub(crate) hook_pc: u64,
    /// Nested runs that have ended (each leaves Unicorn's halted flag set; see `host_call`).
    pub(crate) nested_runs: u64,
    /// The hook being handled has moved the program counter (a jump, a suspension, a
    /// restored context): Unicorn leaves the current block and clears its halted flag.
    pub(crate) pc_written: bool,
    /// Which instruction made each MMIO access (`physical/pc.rs`).
    pub(crate) attribution: crate::physical::pc::Attribution,
    /// MMIO value changes with their times, for waveforms (off unless asked for).
    pub timed_mmio: crate::physical::timed::TimedMmio,
}

/// An emulated x86 or x64 machine, ready to run driver code.
#[repr(transparent)]
pub struct Machine<X: Extension = ()> {
    uc: std::mem::ManuallyDrop<Unicorn<'static, Guest<X>>>,
}

impl<X: Extension> Drop for Machine<X> {
    fn drop(&mut self) {
        let handle = self.uc.get_handle();
        // SAFETY: the Unicorn wrapper was built from a raw handle (it does not close it);
        // drop it and its hooks first, then close the engine. Nothing uses either afterwards.
        unsafe {
            std::mem::ManuallyDrop::drop(&mut self.uc);
            unicorn_engine::uc_close(handle);
        }
    }
}

impl<X: Extension> Machine<X> {
    /// Builds a machine: guest RAM and page tables, GDT/IDT/TSS, KPCR and KUSER_SHARED_DATA
    /// regions, a kernel stack, every mediation hook, and the CPU already at CPL3.
    pub fn new(config: MachineConfig, ext: X) -> Result<Machine<X>, MachineError> {
        check_version()?;
        let arch = config.arch;
        let mode = match arch {
            Arch::X86 => Mode::MODE_32,
            Arch::X64 => Mode::MODE_64,
        };
        let mut handle = std::ptr::null_mut();
        check(unsafe { unicorn_engine::uc_open(UcArch::X86, mode, &mut handle) }, "open an engine")?;
        let uc = Uc(handle);
        // Westmere: SSE4.2, POPCNT, AES-NI; what `CpuIdentity::default` reports.
        let model = ControlType(ControlType::CPU_MODEL.0 | ControlType::IO_WRITE.0);
        let e = unsafe { unicorn_engine::uc_ctl(handle, model, unicorn_engine::X86CpuModel::WESTMERE as i32) };
        if e != uc_error::OK {
            unsafe { unicorn_engine::uc_close(handle) };
            return Err(MachineError::Unicorn { what: "select the CPU model", error: e });
        }
        let buffer = ControlType(ControlType::TCG_BUFFER_SIZE.0 | ControlType::IO_WRITE.0);
        let e = unsafe { unicorn_engine::uc_ctl(handle, buffer, config.code_buffer_bytes) };
        if e != uc_error::OK {
            unsafe { unicorn_engine::uc_close(handle) };
            return Err(MachineError::Unicorn { what: "size the translated-code buffer", error: e });
        }
        let built = Self::build_guest(uc, &config, ext);
        let guest = match built {
            Ok(g) => g,
            Err(e) => {
                unsafe { unicorn_engine::uc_close(handle) };
                return Err(e);
            }
        };
        // SAFETY: `handle` is a live engine; the wrapper does not close it (see Drop).
        let unicorn = unsafe { Unicorn::from_handle_with_data(handle, guest) }.map_err(|error| {
            unsafe { unicorn_engine::uc_close(handle) };
            MachineError::Unicorn { what: "wrap the engine", error }
        })?;
        let mut m = Machine { uc: std::mem::ManuallyDrop::new(unicorn) };
        m.install_hooks()?;
        m.enter_user_mode()?;
        // Set-up's own instructions do not count against the guest's budget.
        m.guest_mut().usage = Usage::default();
        Ok(m)
    }

    fn build_guest(uc: Uc, config: &MachineConfig, ext: X) -> Result<Guest<X>, MachineError> {
        let arch = config.arch;
        if !(1..=crate::MAX_CPUS).contains(&config.cpus) {
            return Err(MachineError::Other(format!(
                "{} processors: a machine has 1 to {}",
                config.cpus,
                crate::MAX_CPUS
            )));
        }
        let mut mem = GuestMemory::new(uc, arch, config.limits.memory_bytes, &config.cpu, config.cpus)?;
        // Before anything else runs: the first machine of a process calibrates on its engine.
        let exceptions = ExceptionReset::new(uc, arch, &mut mem)?;
        let mut ports = PortBus::new();
        crate::platform::install_ports(&mut ports, mem.physical().pci.clone());
        let layout = mem.layout().clone();
        let sel = Selectors::for_arch(arch);

        // The return-to-host pages: returning to a sentinel ends a call into the guest; the
        // trampoline's iret drops the CPU to CPL3 once at start-up.
        //
        // Top-level calls return to `sentinel`, where a code hook stops the engine. Unicorn's
        // own stop address ("until") would do too, but Unicorn discards and retranslates the
        // block at the stop address after every run, a quarter of an IOCTL's cost. Nested
        // calls, made from inside a hook, cannot stop that way (the stop request would also
        // end the run they are nested in), so they return to `nested_sentinel`, on a page of
        // its own that the engine may not execute: reaching it ends the innermost run with
        // a fetch error, translating nothing (`install_hooks`). Every run's stop address is
        // the byte after it, where no block ever starts.
        // Both sit mid-page: a stop address at the very start of a page makes Unicorn 2.1.5
        // fault on the previous page when it is reached at CPL3. Both hold `hlt`, which
        // faults at CPL3 should either ever execute.
        let host = mem.alloc(RegionKind::System, "return-to-host", 2 * PAGE_SIZE, Prot::RX)?;
        let sentinel = host + 0x800;
        let nested_sentinel = host + PAGE_SIZE + 0x800;
        let trampoline = host + 0x10;
        let iret: &[u8] = match arch {
            Arch::X86 => &[0xCF],
            Arch::X64 => &[0x48, 0xCF],
        };
        mem.write_unchecked(sentinel, &[0xF4])?;
        mem.write_unchecked(nested_sentinel, &[0xF4])?;
        mem.write_unchecked(trampoline, iret)?;

        // Interrupt handlers the IDT points at (never executed: Unicorn hands exceptions
        // to the host), also the system-call entry the SYSCALL MSRs name.
        let handlers = mem.alloc(RegionKind::System, "interrupt handlers", 256 * 16, Prot::RX)?;
        mem.write_unchecked(handlers, &[0xF4; 256 * 16])?;

        let stack = mem.alloc(RegionKind::Stack, "kernel stack", config.stack_size, Prot::RW)?;
        let stack_top = stack + config.stack_size.div_ceil(PAGE_SIZE) * PAGE_SIZE - 0x100;

        let tss_bytes = descriptors::tss(arch, stack_top, sel.kernel_ss);
        // Physically contiguous, so the I/O permission check of every user-mode in/out reads
        // the TSS and its map through one host pointer (`TssView`).
        let (tss, _) =
            mem.alloc_contiguous(RegionKind::System, "tss", tss_bytes.len() as u64, (0, u64::MAX), 0, Prot::RW)?;
        mem.write(tss, &tss_bytes)?;
        let tss_limit = (TSS_SIZE + IOPM_SIZE - 1) as u32;

        let mut per_cpu = Vec::new();
        for cpu in 0..config.cpus {
            let (base, size) = layout.cpu_block(cpu);
            let name = if cpu == 0 { "kpcr".to_string() } else { format!("kpcr {cpu}") };
            mem.map_fixed(RegionKind::Kpcr, name, base, size, Prot::RW)?;
            per_cpu.push(base);
        }
        mem.map_fixed(RegionKind::SharedData, "kuser_shared_data", layout.shared_user_data, PAGE_SIZE, Prot::RW)?;

        let gdt_bytes = descriptors::gdt(arch, tss, tss_limit, &per_cpu);
        let gdt = mem.alloc(RegionKind::System, "gdt", gdt_bytes.len() as u64, Prot::RW)?;
        mem.write(gdt, &gdt_bytes)?;
        let idt_bytes = descriptors::idt(arch, handlers, sel.kernel_cs);
        let idt = mem.alloc(RegionKind::System, "idt", idt_bytes.len() as u64, Prot::RW)?;
        mem.write(idt, &idt_bytes)?;

        // Paging, protected/long mode, SSE enabled.
        let cr3 = mem.page_table_root();
        let cr4: u64 = match arch {
            Arch::X86 => 0x600, // OSFXSR | OSXMMEXCPT
            Arch::X64 => 0x620, // + PAE
        };
        let cr0: u64 = 0x8001_0033; // PG | WP | NE | ET | MP | PE
        uc.set_reg(UcReg::CR3, cr3);
        uc.set_reg(UcReg::CR4, cr4);
        if arch == Arch::X64 {
            uc.set_msr(crate::cpu::msr::IA32_EFER, 0xD01)?;
        }
        uc.set_reg(UcReg::CR0, cr0);
        uc.set_mmr(UcReg::GDTR, 0, gdt, gdt_bytes.len() as u32 - 1, 0)?;
        uc.set_mmr(UcReg::IDTR, 0, idt, idt_bytes.len() as u32 - 1, 0)?;
        uc.set_mmr(UcReg::TR, sel.tss, tss, tss_limit, 0x8B00)?;
        if arch == Arch::X86 {
            // Real descriptor loads while still at CPL0; the DPL-3 ones survive the iret.
            uc.load_segment(UcReg::SS, sel.kernel_ss)?;
            uc.load_segment(UcReg::DS, sel.ds)?;
            uc.load_segment(UcReg::ES, sel.ds)?;
            uc.load_segment(UcReg::FS, sel.fs)?;
        }

        let mut cpu = VirtualCpu::new(MsrFile::defaults(arch, handlers));
        cpu.identity = config.cpu.clone();
        cpu.cr0 = cr0;
        cpu.cr3 = cr3;
        cpu.cr4 = cr4;
        cpu.gdtr = TableRegister { base: gdt, limit: gdt_bytes.len() as u16 - 1 };
        cpu.idtr = TableRegister { base: idt, limit: idt_bytes.len() as u16 - 1 };
        cpu.tr = sel.tss;
        let io_cycles = (cpu.clock.tsc_hz / 1_000_000).max(1);
        ports.set_clock_rate(cpu.clock.tsc_hz);

        Ok(Guest {
            uc,
            arch,
            mem,
            cpu,
            ports,
            trace: Trace::default(),
            privilege: Privilege::Kernel,
            ext,
            limits: config.limits.clone(),
            usage: Usage::default(),
            stop: None,
            stopping: false,
            depth: 0,
            decoder: Decoder::new(arch),
            exceptions,
            selectors: sel,
            sentinel,
            nested_sentinel,
            user_call_stack: None,
            stack_top,
            tss,
            tss_view: TssView::default(),
            gdt,
            interrupt_handlers: handlers,
            timed_out: Arc::new(AtomicBool::new(false)),
            io_cycles,
            block_sizes: HashMap::new(),
            host_calls: Vec::new(),
            cpus: config.cpus,
            suspended: None,
            resume_at: None,
            quantum: None,
            calls: Vec::new(),
            live: None,
            hook_pc: 0,
            nested_runs: 0,
            pc_written: false,
            attribution: crate::physical::pc::Attribution::new(config.limits.max_instructions.is_some()),
            timed_mmio: Default::default(),
        })
    }

    /// Drops the CPU from the CPL0 it starts at to CPL3 with one `iret`.
    fn enter_user_mode(&mut self) -> Result<(), MachineError> {
        let g = self.guest();
        let (arch, sel, sentinel, top, uc) = (g.arch, g.selectors, g.sentinel, g.stack_top, g.uc);
        let until = g.stop_address();
        let trampoline = (sentinel & !0xFFF) + 0x10;
        let ps = arch.ptr_size();
        let eflags = flags::IF | flags::RESERVED1;
        let frame = [sentinel, sel.cs as u64, eflags, top, sel.ss as u64];
        let frame_at = top - 0x80;
        for (i, v) in frame.iter().enumerate() {
            self.guest_mut().mem.write_ptr(frame_at + i as u64 * ps, *v)?;
        }
        uc.set_reg(Reg::Sp.uc(arch).unwrap(), frame_at);
        self.uc
            .emu_start(trampoline, until, 0, 0)
            .map_err(|error| MachineError::Unicorn { what: "enter user mode", error })?;
        let (ip, cs) = (self.reg(Reg::Ip), uc.reg(UcReg::CS));
        if let Some(stop) = self.guest_mut().stop.take() {
            return Err(MachineError::Other(format!("entering CPL3 failed: {stop}")));
        }
        if ip != sentinel || cs != sel.cs as u64 {
            return Err(MachineError::Other(format!("entering CPL3 ended at {ip:#x} with cs={cs:#x}")));
        }
        if arch == Arch::X64 {
            let kpcr = self.guest().mem.layout().kpcr;
            uc.set_reg(UcReg::GS_BASE, kpcr);
        }
        Ok(())
    }

    fn install_hooks(&mut self) -> Result<(), MachineError> {
        let hook_err = |error| MachineError::Unicorn { what: "install a hook", error };
        let sentinel = self.guest().sentinel;
        self.uc.add_code_hook(sentinel, sentinel, |uc, _, _| Machine::from_uc(uc).returned()).map_err(hook_err)?;
        // Every nested run (a driver called from a user program's request) ends at
        // `nested_sentinel`, and Unicorn discards that block after each run, so it is
        // translated again every time; translating a block at an address no memory hook
        // covers also resets the dirty bits of the whole TLB. A (never-firing) fetch hook
        // over that one address spares the reset: ~5% of a user program's IOCTL.
        let nested = self.guest().nested_sentinel;
        self.uc.add_mem_hook(HookType::MEM_FETCH_PROT, nested, nested, |_, _, _, _, _| false).map_err(hook_err)?;
        // The nested runs' return page may not be executed at all (in the engine's own
        // map of physical memory): reaching `nested_sentinel` ends the innermost run with a
        // fetch error and translates nothing, where a stop address there is a block Unicorn
        // discards and translates again after every run (~8% of a program's IOCTL).
        let frame = self
            .guest()
            .mem
            .translate(nested)
            .ok_or_else(|| MachineError::Other("the return page is not mapped".into()))?;
        self.uc
            .mem_protect(frame & !(PAGE_SIZE - 1), PAGE_SIZE, UcProt(UcProt::READ.0 | UcProt::WRITE.0))
            .map_err(|error| MachineError::Unicorn { what: "protect the return page", error })?;
        // Splitting the engine's RAM region translates addresses on the way and may leave
        // an exception in flight (quirk 2 in docs/architecture.md): clear it.
        let g = self.guest();
        g.exceptions.reset(g.uc);
        self.uc.add_intr_hook(|uc, intno| privileged::on_interrupt(Machine::from_uc(uc), intno)).map_err(hook_err)?;
        self.uc.add_insn_invalid_hook(|uc| privileged::on_invalid(Machine::from_uc(uc))).map_err(hook_err)?;
        self.uc
            .add_insn_in_hook(|uc, port, size| Machine::from_uc(uc).port_access(port, size, None))
            .map_err(hook_err)?;
        self.uc
            .add_insn_out_hook(|uc, port, size, value| {
                Machine::from_uc(uc).port_access(port, size, Some(value));
            })
            .map_err(hook_err)?;
        let guest = self.guest_mut() as *mut Guest<X>;
        self.guest_mut().mem.phys.engine.set_glue::<X>(guest);
        let data = guest as *mut std::ffi::c_void;
        let h = self.uc.get_handle();
        for (insn, cb) in [
            (X86Insn::CPUID, privileged::on_cpuid::<X> as *mut std::ffi::c_void),
            (X86Insn::RDTSC, privileged::on_rdtsc::<X> as *mut std::ffi::c_void),
        ] {
            let mut hh = 0usize;
            // SAFETY: the callbacks take (engine, user data) and return int, as Unicorn's
            // CPUID/RDTSC hooks must (the crate's void-returning proxy would leave the
            // "skip" result undefined). `data` points into the engine's own user data,
            // which lives exactly as long as the hooks.
            let e = unsafe {
                unicorn_engine::uc_hook_add(h, &mut hh, HookType::INSN.0 as i32, cb, data, 1, 0, insn as i32)
            };
            check(e, "install a CPUID/RDTSC hook")?;
        }
        if self.guest().limits.max_instructions.is_some() {
            self.uc
                .add_block_hook(1, 0, |uc, addr, size| Machine::from_uc(uc).count_block(addr, size))
                .map_err(hook_err)?;
        }
        Ok(())
    }

    /// The machine behind a hook's engine reference.
    pub(crate) fn from_uc<'a>(uc: &'a mut Unicorn<'_, Guest<X>>) -> &'a mut Machine<X> {
        // SAFETY: Machine is a transparent wrapper (through ManuallyDrop, also transparent)
        // around the engine wrapper; lifetimes do not exist at run time. The reference is
        // never used to drop the machine.
        unsafe { &mut *(uc as *mut Unicorn<'_, Guest<X>> as *mut Machine<X>) }
    }

    pub fn guest(&self) -> &Guest<X> {
        self.uc.get_data()
    }

    pub fn guest_mut(&mut self) -> &mut Guest<X> {
        self.uc.get_data_mut()
    }

    pub fn arch(&self) -> Arch {
        self.guest().arch
    }

    pub fn mem(&self) -> &GuestMemory {
        &self.guest().mem
    }

    pub fn mem_mut(&mut self) -> &mut GuestMemory {
        &mut self.guest_mut().mem
    }

    pub fn ext(&self) -> &X {
        &self.guest().ext
    }

    pub fn ext_mut(&mut self) -> &mut X {
        &mut self.guest_mut().ext
    }

    pub fn reg(&self, reg: Reg) -> u64 {
        let g = self.guest();
        reg.uc(g.arch).map(|r| g.uc.reg(r)).unwrap_or(0)
    }

    pub fn set_reg(&mut self, reg: Reg, value: u64) {
        let g = self.guest();
        if let Some(r) = reg.uc(g.arch) {
            g.uc.set_reg(r, g.arch.mask(value));
        }
    }

    /// Where a top-level call into the guest returns to; reaching it ends the call.
    pub fn return_address(&self) -> u64 {
        self.guest().sentinel
    }

    /// Whether `addr` is where a call into the guest returns to the host (the top-level or
    /// the nested return address): a stack walk that reaches it has left guest code.
    pub fn is_return_to_host(&self, addr: u64) -> bool {
        let g = self.guest();
        addr == g.sentinel || addr == g.nested_sentinel
    }

    /// The top-level return address was reached.
    fn returned(&mut self) {
        let g = self.guest_mut();
        if g.depth <= 1 {
            g.uc.stop();
        } else {
            // Only a corrupted stack or a hostile jump gets here from a nested call.
            let pc = g.sentinel;
            let fault = self.fault(FaultKind::GeneralProtection, pc, "return to the host from the wrong call".into());
            self.request_stop(Stop::Fault(Box::new(fault)));
        }
    }

    /// Kernel code called from a host call that user-mode code made starts on the kernel
    /// stack at `top` (None: on the caller's stack). The caller's stack is in its process's
    /// user half, which the kernel may unload meanwhile (an attach to another process, the
    /// System thread), as Windows runs system calls on the thread's kernel stack.
    pub fn set_user_call_stack(&mut self, top: Option<u64>) {
        self.guest_mut().user_call_stack = top;
    }

    /// Where a nested call starts: just below the caller's stack pointer `sp`, or, for
    /// kernel code whose caller's stack is in the user half, the kernel stack of calls from
    /// user mode.
    fn nested_call_stack(&self, sp: u64) -> u64 {
        let g = self.guest();
        let user_half_end = match g.arch {
            Arch::X86 => 0x8000_0000,
            Arch::X64 => 0x0000_8000_0000_0000,
        };
        match g.user_call_stack {
            Some(top) if g.privilege == Privilege::Kernel && sp < user_half_end => top,
            _ => sp,
        }
    }

    /// Top of the kernel stack top-level calls start on.
    pub fn stack_top(&self) -> u64 {
        self.guest().stack_top
    }

    /// Address of the task state segment (its I/O map starts 0x68 bytes in).
    pub fn tss(&self) -> u64 {
        self.guest().tss
    }

    /// Reads argument slot `index` of a function that was just entered with `conv`.
    pub fn arg(&self, conv: CallConv, index: usize) -> Result<u64, MemError> {
        match conv.slot(index) {
            SlotLocation::Register(r) => Ok(self.reg(r)),
            SlotLocation::Stack(off) => {
                let sp = self.reg(Reg::Sp);
                self.mem().read_ptr(sp.wrapping_add(off))
            }
        }
    }

    /// Sets a function's return value (EAX on x86, RAX on x64).
    pub fn set_return(&mut self, value: u64) {
        self.set_reg(Reg::Ax, value);
    }

    /// Sets a 64-bit return value: RAX on x64, EDX:EAX on x86.
    pub fn set_return_u64(&mut self, value: u64) {
        match self.arch() {
            Arch::X64 => self.set_reg(Reg::Ax, value),
            Arch::X86 => {
                self.set_reg(Reg::Ax, value & 0xFFFF_FFFF);
                self.set_reg(Reg::Dx, value >> 32);
            }
        }
    }

    /// Maps a region of host-call slots: each slot holds `bodies[i]` (its `ret`/`ret N`),
    /// and executing it calls `handler(machine, n)` first, where `n` numbers the slot across
    /// every region of the machine, in the order they were added (the first region's slots
    /// are 0, 1, ...; see [`Machine::host_call_slots`]). Returns the first slot's address.
    pub fn add_host_calls(
        &mut self,
        name: &str,
        bodies: &[Vec<u8>],
        handler: HostCallFn<X>,
    ) -> Result<u64, MachineError> {
        let count = bodies.len() as u64;
        if count == 0 {
            return Err(MachineError::Other("a host-call region needs at least one slot".into()));
        }
        let base = self.mem_mut().alloc(RegionKind::Stubs, name, count * HOST_CALL_SLOT, Prot::RX)?;
        self.add_host_calls_at(base, bodies, handler)?;
        Ok(base)
    }

    /// Places host-call slots at `base`, inside memory already mapped (the code section of an
    /// image the extension builds); otherwise as [`Machine::add_host_calls`].
    pub fn add_host_calls_at(
        &mut self,
        base: u64,
        bodies: &[Vec<u8>],
        handler: HostCallFn<X>,
    ) -> Result<(), MachineError> {
        let positions: Vec<u64> = (0..bodies.len() as u64).collect();
        self.place_host_calls(base, bodies.len() as u64, bodies, &positions, handler, false)
    }

    /// Places host-call slots at chosen positions of an area of `span` slots at `base`, inside
    /// memory already mapped: body `i` (slot `first + i`, numbered as everywhere) goes to
    /// position `positions[i]`. The rest of the area is `int3`, and executing a position no
    /// slot holds is a fault. Lets an extension keep each routine's address stable while
    /// routines are added (placing them by a hash of their names, say).
    pub fn add_host_calls_placed(
        &mut self,
        base: u64,
        span: u64,
        bodies: &[Vec<u8>],
        positions: &[u64],
        handler: HostCallFn<X>,
    ) -> Result<(), MachineError> {
        self.place_host_calls(base, span, bodies, positions, handler, true)
    }

    fn place_host_calls(
        &mut self,
        base: u64,
        span: u64,
        bodies: &[Vec<u8>],
        positions: &[u64],
        handler: HostCallFn<X>,
        placed: bool,
    ) -> Result<(), MachineError> {
        let count = bodies.len() as u64;
        if count == 0 || positions.len() != bodies.len() {
            return Err(MachineError::Other("a host-call region needs at least one slot, each with a position".into()));
        }
        let mut index = vec![u32::MAX; span as usize];
        let size = span * HOST_CALL_SLOT;
        let mut code = vec![0xCCu8; size as usize];
        for (i, (body, &at)) in bodies.iter().zip(positions).enumerate() {
            if body.len() >= HOST_CALL_SLOT as usize {
                return Err(MachineError::Other(format!("host-call slot body {i} is too long")));
            }
            match index.get_mut(at as usize) {
                Some(free @ &mut u32::MAX) => *free = i as u32,
                _ => return Err(MachineError::Other(format!("host-call position {at} is taken or outside the area"))),
            }
            code[at as usize * HOST_CALL_SLOT as usize..][..body.len()].copy_from_slice(body);
        }
        self.mem_mut().write_unchecked(base, &code)?;
        self.uc
            .add_code_hook(base, base + size - 1, move |uc, addr, _| {
                let m = Machine::from_uc(uc);
                m.host_call(base, addr);
            })
            .map_err(|error| MachineError::Unicorn { what: "hook host calls", error })?;
        let first = self.host_call_slots();
        let positions = placed.then(|| index.into_boxed_slice());
        self.guest_mut().host_calls.push(HostCalls { base, count, positions, first, handler });
        Ok(())
    }

    /// How many host-call slots the machine has: the number the next region's first slot gets.
    pub fn host_call_slots(&self) -> u32 {
        self.guest().host_calls.iter().map(|h| h.count as u32).sum()
    }

    fn host_call(&mut self, base: u64, addr: u64) {
        if self.guest().resume_at == Some(addr) {
            // A suspended call resumes: the handler ran already; its `ret` completes it.
            self.guest_mut().resume_at = None;
            return;
        }
        let rel = addr - base;
        let Some(h) = self.guest().host_calls.iter().find(|h| h.base == base) else { return };
        let (handler, first) = (h.handler, h.first);
        let at = rel / HOST_CALL_SLOT;
        let slot = match &h.positions {
            Some(index) => index.get(at as usize).copied().filter(|i| *i != u32::MAX),
            None => (at < h.count).then_some(at as u32),
        };
        let Some(slot) = slot.filter(|_| rel.is_multiple_of(HOST_CALL_SLOT)) else {
            let fault = self.fault(FaultKind::GeneralProtection, addr, "execution inside a host-call slot".into());
            self.request_stop(Stop::Fault(Box::new(fault)));
            return;
        };
        let g = self.guest_mut();
        g.trace.counters.host_calls += 1;
        let outer = std::mem::replace(&mut g.hook_pc, addr);
        let outer_written = std::mem::replace(&mut g.pc_written, false);
        let runs = g.nested_runs;
        if let Err(stop) = handler(self, first + slot) {
            self.resume_or_stop(stop, Hook::Code);
        }
        let g = self.guest_mut();
        if g.nested_runs != runs && !g.pc_written && !g.stopping && g.suspended.is_none() {
            // A nested run ends at Unicorn's stop address, which imitates `hlt`: the CPU stays
            // halted, and the next time this run's engine loop comes round it spins there
            // without executing or counting anything. Writing the program counter is the one
            // way to clear that flag: go on at this slot, its handler skipped (`resume_at`).
            g.resume_at = Some(addr);
            self.set_pc_in_host_call(addr);
        }
        let g = self.guest_mut();
        g.pc_written = outer_written;
        g.hook_pc = outer;
        let g = self.guest();
        if g.mem.phys.engine.devices_mapped && g.trace.record_mmio && !g.attribution.synced {
            self.sync_block_pcs();
        }
    }

    /// Makes Unicorn store each block's start in RIP before the block runs, so MMIO accesses
    /// are attributed to the instructions that made them (`physical/pc.rs`): a block hook, and
    /// executable code translated without it dropped. Done once, when a kernel routine first
    /// maps device memory while the trace records MMIO (an instruction budget's block hook
    /// does it already).
    pub(crate) fn sync_block_pcs(&mut self) {
        let added =
            self.uc.add_block_hook(1, 0, |uc, _, _| Machine::from_uc(uc).guest_mut().attribution.block_started());
        if added.is_err() {
            return;
        }
        let g = self.guest_mut();
        g.attribution.synced = true;
        // Not the code holding host-call slots (stub regions, or the text of an image the
        // extension built, like the kernel's own): this runs inside a host call, and dropping
        // the translation that is executing would resume it in the wrong place. Slots touch
        // no device memory, so nothing there needs attributing.
        let slots: Vec<u64> = g.host_calls.iter().map(|h| h.base).collect();
        let code: Vec<(u64, u64)> = g
            .mem
            .regions()
            .filter(|r| r.prot.exec && !matches!(r.kind, RegionKind::Stubs | RegionKind::System))
            .filter(|r| !slots.iter().any(|b| (r.base..r.base + r.size).contains(b)))
            .map(|r| (r.base, r.base + r.size))
            .collect();
        for (begin, end) in code {
            g.mem.invalidate_fetchable(begin, end);
        }
    }

    /// Scans code for `popf` and makes each one update the virtual interrupt flag.
    ///
    /// At CPL3 `popf` silently ignores IF, so a driver's `pushf; cli; ...; popf` would leave
    /// interrupts "disabled". Every `popf` found by a linear sweep gets a code hook of its
    /// own (they are rare; a hook on a few cold bytes costs nothing measurable). Returns how
    /// many were found. Code the sweep cannot see (generated at run time) is not covered.
    pub fn watch_popf(&mut self, base: u64, size: u64) -> Result<usize, MachineError> {
        let code = self.mem().read_partial(base, size as usize);
        let sites = self.guest().decoder.popf_sites(&code, base);
        for &site in &sites {
            self.uc
                .add_code_hook(site, site, |uc, addr, _| privileged::on_popf(Machine::from_uc(uc), addr))
                .map_err(|error| MachineError::Unicorn { what: "hook popf", error })?;
        }
        Ok(sites.len())
    }

    /// Calls guest code at `target` with argument slots `args` under `conv`, and runs it
    /// until it returns. Callable from a host call (the guest is then re-entered, nested, on
    /// the stack of the code the host call interrupted). Returns EAX/RAX.
    pub fn call(&mut self, target: u64, args: &[u64], conv: CallConv) -> Result<u64, Stop<X::Stop>> {
        self.check_run_limits()?;
        let g = self.guest();
        let nested = g.depth > 0;
        let saved_sp = self.reg(Reg::Sp);
        let top = if nested { self.nested_call_stack(saved_sp) } else { g.stack_top };
        let sentinel = if nested { g.nested_sentinel } else { g.sentinel };
        let caller_pc = if nested { g.hook_pc } else { 0 };
        self.prepare_call(args, conv, top, sentinel).map_err(|e| Stop::Machine(e.into()))?;
        if nested {
            // Not a root: the call continues the frames of the code the hook interrupted.
            if let Some(c) = self.guest_mut().live.as_mut() {
                c.caller_pc = caller_pc;
                c.caller_sp = saved_sp;
            }
        }
        let outcome = self.run(target);
        if nested {
            self.set_reg(Reg::Sp, saved_sp);
        }
        // The caller's flow is in the engine again.
        let g = self.guest_mut();
        g.live = g.calls.last().copied();
        match outcome? {
            Exit::Returned(v) => Ok(v),
            Exit::Suspended { pc } => Err(Stop::Machine(MachineError::Other(format!(
                "the host call at {pc:#x} suspended a call that cannot be resumed"
            )))),
            Exit::Preempted { pc } => Err(Stop::Machine(MachineError::Other(format!(
                "a call that cannot be resumed was preempted at {pc:#x}"
            )))),
        }
    }

    /// Fails if a new run may not start: the call depth, instruction or time budget is spent.
    pub(crate) fn check_run_limits(&self) -> Result<(), Stop<X::Stop>> {
        if let Some(signal) = crate::interrupt::requested() {
            return Err(Stop::Interrupted { signal });
        }
        let g = self.guest();
        if g.depth >= g.limits.max_call_depth {
            return Err(Stop::Limit(LimitHit::CallDepth { limit: g.limits.max_call_depth }));
        }
        if let Some(limit) = g.limits.max_instructions {
            if g.usage.instructions > limit {
                return Err(Stop::Limit(LimitHit::Instructions { limit, pc: self.reg(Reg::Ip) }));
            }
        }
        if let Some(limit) = g.limits.time {
            if g.usage.time >= limit {
                return Err(Stop::Limit(LimitHit::Time { limit_ms: limit.as_millis() as u64 }));
            }
        }
        Ok(())
    }

    /// Sets up a call with argument slots `args` under `conv` on the stack whose top is
    /// `top`, returning to `return_address`: register arguments, stack arguments, shadow
    /// space (x64), the return address, and the stack pointer. Running from the routine's
    /// address then makes the call, the root of a flow's frames on that stack (see
    /// [`GuestCall`]).
    pub fn prepare_call(
        &mut self,
        args: &[u64],
        conv: CallConv,
        top: u64,
        return_address: u64,
    ) -> Result<(), MemError> {
        let arch = self.arch();
        let ps = arch.ptr_size();
        let stack_slots: Vec<(u64, u64)> = args
            .iter()
            .enumerate()
            .filter_map(|(i, v)| match conv.slot(i) {
                SlotLocation::Stack(off) => Some((off, *v)),
                SlotLocation::Register(r) => {
                    self.set_reg(r, *v);
                    None
                }
            })
            .collect();
        let frame = stack_slots.iter().map(|(off, _)| off + ps).max().unwrap_or(ps).max(if arch == Arch::X64 {
            0x28
        } else {
            4
        });
        // x64: RSP + 8 is 16-byte aligned at function entry.
        let sp = match arch {
            Arch::X64 => ((top - frame - 0x20) & !0xF) - 8,
            Arch::X86 => (top - frame - 0x10) & !0x3,
        };
        self.mem_mut().write_ptr(sp, return_address)?;
        for (off, v) in stack_slots {
            self.mem_mut().write_ptr(sp + off, v)?;
        }
        self.set_reg(Reg::Sp, sp);
        let stack = self.stack_around(sp);
        self.guest_mut().live =
            Some(GuestCall { entry_sp: sp, returns_to: return_address, caller_pc: 0, caller_sp: 0, stack });
        Ok(())
    }

    /// The stack region holding `sp`: `(lowest, highest)` address, the highest one past the
    /// end (an empty range at `sp`'s page when no region holds it).
    fn stack_around(&self, sp: u64) -> (u64, u64) {
        let top = sp.div_ceil(PAGE_SIZE) * PAGE_SIZE;
        let region = self.guest().mem.region_at(sp);
        (region.map_or(top, |r| r.base), region.map_or(top, |r| r.base + r.size))
    }

    /// The record of the flow whose registers are in the engine; for registers that came
    /// with none (set by hand), a root owning the stack the stack pointer is on.
    pub(crate) fn live_call(&self) -> GuestCall {
        self.guest().live.unwrap_or_else(|| {
            let stack = self.stack_around(self.reg(Reg::Sp));
            GuestCall { entry_sp: stack.1, returns_to: 0, caller_pc: 0, caller_sp: 0, stack }
        })
    }

    /// Runs the guest from `pc` with the registers as they are, one level deeper, until it
    /// returns to the host (the level's sentinel), a host call suspends it, or it stops. An
    /// unwind to a frame of the flow live in the run when it ended resumes there.
    pub(crate) fn run(&mut self, pc: u64) -> Result<Exit, Stop<X::Stop>> {
        let call = self.live_call();
        let g = self.guest_mut();
        let nested = g.depth > 0;
        let (sentinel, until) = (if nested { g.nested_sentinel } else { g.sentinel }, g.stop_address());
        g.depth += 1;
        g.stopping = false;
        g.calls.push(call);
        let timing = (!nested).then(|| g.limits.time.map(|limit| (limit, Instant::now()))).flatten();
        // Every outermost run is armed: with a time budget, for its deadline; always, so that a
        // signal can stop it.
        let armed = (!nested).then(|| {
            let deadline = timing.map(|(limit, start)| start + limit.saturating_sub(g.usage.time));
            Watchdog::global().arm(g.uc.0, deadline, g.timed_out.clone())
        });
        let count = g.quantum.take().unwrap_or(0);
        let mut start = pc;
        let outcome = loop {
            let result = self.uc.emu_start(start, until, 0, count as usize);
            self.guest_mut().resume_at = None;
            let pc = self.reg(Reg::Ip);
            let result = self.guest().returned_from_nested(result, pc);
            let outcome = self.outcome(result, pc, sentinel, count > 0);
            let g = self.guest_mut();
            g.stopping = false;
            g.suspended = None;
            match outcome {
                // An unwind to a frame of this run's flow (from a call nested deeper, or one
                // that had to stop the engine to get here): resume there.
                Err(Stop::Unwind(ctx)) if self.owns_stack(ctx.sp()) => {
                    self.apply_context(&ctx, false);
                    start = self.reg(Reg::Ip);
                }
                outcome => break outcome,
            }
        };
        if let Some(a) = armed {
            Watchdog::global().disarm(a);
        }
        let g = self.guest_mut();
        if let Some((_, start)) = timing {
            g.usage.time += start.elapsed();
        }
        g.depth -= 1;
        if nested {
            g.nested_runs += 1;
        }
        // The flow the run ended in stays in the engine (a suspended or preempted one is
        // saved from there) with its record.
        g.live = g.calls.pop();
        if let Err(stop) = &outcome {
            self.record_stop(stop);
        }
        outcome
    }

    /// The calls into the guest in progress, innermost last.
    pub fn guest_calls(&self) -> &[GuestCall] {
        &self.guest().calls
    }

    /// Whether `sp` lies in the frames of the innermost call into the guest (on the stack of
    /// the flow live in it).
    pub(crate) fn owns_stack(&self, sp: u64) -> bool {
        self.guest().calls.last().is_some_and(|c| c.owns(sp))
    }

    /// The stack the guest runs on: the live flow's (the innermost call's), or outside any
    /// call the kernel stack calls start on. `(lowest, highest)` address, the highest one
    /// past the end.
    pub fn stack_limits(&self) -> (u64, u64) {
        match self.guest().calls.last() {
            Some(c) => c.stack,
            None => self.kernel_stack(),
        }
    }

    /// The kernel stack top-level calls start on ([`stack_top`](Machine::stack_top)):
    /// `(lowest, highest)` address, the highest one past the end.
    pub fn kernel_stack(&self) -> (u64, u64) {
        self.stack_around(self.guest().stack_top)
    }
    fn outcome(
        &mut self,
        result: Result<(), uc_error>,
        pc: u64,
        sentinel: u64,
        counted: bool,
    ) -> Result<Exit, Stop<X::Stop>> {
        let g = self.guest_mut();
        if let Some(stop) = g.stop.take() {
            return Err(stop);
        }
        if let Some(signal) = crate::interrupt::requested() {
            return Err(Stop::Interrupted { signal });
        }
        if g.timed_out.swap(false, Ordering::SeqCst) {
            let limit = g.limits.time.unwrap_or_default();
            g.usage.time = g.usage.time.max(limit);
            return Err(Stop::Limit(LimitHit::Time { limit_ms: limit.as_millis() as u64 }));
        }
        if pc != g.nested_sentinel && pc & !(PAGE_SIZE - 1) == g.nested_sentinel & !(PAGE_SIZE - 1) {
            // A jump into the return page elsewhere than its return address (the engine
            // refuses to run it, or stops at its stop address there).
            let fault = self.fault(FaultKind::GeneralProtection, pc, "execution on the return-to-host page".into());
            return Err(Stop::Fault(Box::new(fault)));
        }
        if let Err(error) = result {
            return Err(Stop::Machine(MachineError::Unicorn { what: "run guest code", error }));
        }
        if let Some(at) = g.suspended.take() {
            return Ok(Exit::Suspended { pc: at });
        }
        if counted && pc != sentinel && pc != g.nested_sentinel {
            // The quantum ran out: Unicorn stopped before the instruction at `pc`.
            return Ok(Exit::Preempted { pc });
        }
        if pc != sentinel && pc == g.nested_sentinel {
            // A top-level call stopped at the nested calls' return address.
            let fault = self.fault(FaultKind::GeneralProtection, pc, "return to the host from the wrong call".into());
            return Err(Stop::Fault(Box::new(fault)));
        }
        if pc != sentinel {
            return Err(Stop::Machine(MachineError::UnexpectedStop { pc }));
        }
        Ok(Exit::Returned(self.reg(Reg::Ax)))
    }

    /// Records why a run stopped in the trace (once, at the innermost level that saw it).
    fn record_stop(&mut self, stop: &Stop<X::Stop>) {
        let event = match stop {
            Stop::Fault(f) => Event::Fault((**f).clone()),
            Stop::Limit(l) => Event::Limit(l.clone()),
            _ => return,
        };
        let already = matches!(
            (self.guest().trace.events().last(), &event),
            (Some(Event::Fault(a)), Event::Fault(b)) if a == b
        ) || matches!(
            (self.guest().trace.events().last(), &event),
            (Some(Event::Limit(a)), Event::Limit(b)) if a == b
        );
        if !already {
            self.guest_mut().trace.push(event);
        }
    }

    /// Ends the current run with `stop` (the first reason given wins).
    pub fn request_stop(&mut self, stop: Stop<X::Stop>) {
        let g = self.guest_mut();
        if g.stop.is_none() {
            g.stop = Some(stop);
        }
        g.stopping = true;
        g.uc.stop();
    }

    /// The disassembly of the instruction at `va`, when its bytes can be read.
    pub fn disassemble(&self, va: u64) -> Option<String> {
        let g = self.guest();
        let bytes = g.mem.read_partial(va, 16);
        g.decoder.text(&bytes, va)
    }

    /// Builds a fault report for an exception at `pc`.
    pub fn fault(&self, kind: FaultKind, pc: u64, reason: String) -> GuestFault {
        let g = self.guest();
        let bytes = g.mem.read_partial(pc, 16);
        let instruction = g.decoder.text(&bytes, pc);
        let dump: &[Reg] = match g.arch {
            Arch::X86 => &Reg::DUMP_X86,
            Arch::X64 => &Reg::DUMP_X64,
        };
        let registers = dump.iter().map(|r| RegValue { name: r.name(g.arch), value: self.reg(*r) }).collect();
        let sp = self.reg(Reg::Sp);
        let stack = (0..8).map_while(|i| g.mem.read_ptr(sp.wrapping_add(i * g.arch.ptr_size())).ok()).collect();
        let location = g.mem.region_at(pc).map(|r| format!("{}+{:#x}", r.name, pc - r.base));
        GuestFault { kind, pc, instruction, reason, registers, stack, cpl: g.privilege.cpl(), location }
    }

    /// A port access the host makes on behalf of guest code at `pc` (the HAL's READ_PORT_* /
    /// WRITE_PORT_* routines): the same policies, permission check and trace as an IN/OUT
    /// instruction there. A denied access is a #GP at `pc`.
    pub fn port_io(&mut self, port: u16, width: Width, out: Option<u32>, pc: u64) -> Result<u32, Stop<X::Stop>> {
        let (value, outcome) = self.mediate_port(port, width, out, pc);
        if outcome == Outcome::Denied {
            let stop = self.guest_mut().stop.take();
            self.guest_mut().stopping = false;
            return Err(stop.unwrap_or_else(|| Stop::Machine(MachineError::Other(format!("port {port:#x} denied")))));
        }
        Ok(value)
    }

    /// One IN or OUT (or one element of INS/OUTS), from the engine's instruction hooks.
    fn port_access(&mut self, port: u32, size: usize, out: Option<u32>) -> u32 {
        if self.guest().stopping {
            return u32::MAX;
        }
        let Some(width) = Width::from_bytes(size) else { return u32::MAX };
        // The exact PC is only read when something will use it: the trace, or a fault.
        let pc = if self.guest().trace.record_ports { self.reg(Reg::Ip) } else { 0 };
        self.mediate_port(port as u16, width, out, pc).0
    }

    fn mediate_port(&mut self, port: u16, width: Width, out: Option<u32>, pc: u64) -> (u32, Outcome) {
        let g = self.guest_mut();
        g.trace.counters.port_accesses += 1;
        let cpl = g.privilege.cpl();
        let permitted = cpl == 0 || g.io_permitted(port, width);
        // Every port access is an ISA bus cycle: a microsecond of virtual time (what a write to
        // port 0x80 as a delay relies on), so a driver polling a device sees it move.
        let now = g.cpu.clock.cycles().wrapping_add(g.io_cycles);
        g.cpu.clock.set_cycles(now);
        let (value, outcome) = if permitted {
            g.ports.access_at(now, port, width, out.is_some(), out.unwrap_or(0))
        } else {
            (width.all_ones(), Outcome::Denied)
        };
        let value = out.unwrap_or(value);
        g.ports.note_timed(port, width, out.is_some(), value);
        if g.ports.reset_requested() {
            let reset = g.ports.take_reset().expect("checked");
            self.request_stop(Stop::Reset(reset));
            let g = self.guest_mut();
            if g.trace.record_ports {
                g.trace.push(Event::Port(PortEvent { pc, port, width, write: out.is_some(), value, cpl, outcome }));
            }
            return (value, outcome);
        }
        let g = self.guest_mut();
        if g.trace.record_ports {
            g.trace.push(Event::Port(PortEvent { pc, port, width, write: out.is_some(), value, cpl, outcome }));
        }
        if outcome == Outcome::Denied {
            let pc = if pc == 0 { self.reg(Reg::Ip) } else { pc };
            let reason = if permitted {
                format!(
                    "port {port:#06x} ({}-byte {}) denied by policy",
                    width.bytes(),
                    if out.is_some() { "out" } else { "in" }
                )
            } else {
                format!("port {port:#06x} not permitted by the I/O permission map at CPL3")
            };
            if !permitted {
                // User code: a #GP on a privileged instruction, for the layer above to turn
                // into the user-mode exception (nothing can resume from inside a port hook).
                let mut e = self.exception_at(FaultKind::GeneralProtection, pc);
                e.privileged = true;
                e.reason = reason.clone();
                if let Resolution::Stop(stop) = X::on_exception(self, &e) {
                    self.request_stop(stop);
                    return (value, outcome);
                }
            }
            let fault = self.fault(FaultKind::GeneralProtection, pc, reason);
            self.request_stop(Stop::Fault(Box::new(fault)));
        }
        (value, outcome)
    }

    fn count_block(&mut self, addr: u64, size: u32) {
        let g = self.guest_mut();
        g.attribution.block_started();
        if addr == g.sentinel {
            return; // the return to the host, not guest code
        }
        let n = match g.block_sizes.get(&addr) {
            Some(n) => *n,
            None => {
                let code = g.mem.read_partial(addr, size as usize);
                let n = g.decoder.count(&code, addr);
                g.block_sizes.insert(addr, n);
                n
            }
        };
        g.usage.instructions += n;
        if let Some(limit) = g.limits.max_instructions {
            if g.usage.instructions > limit {
                self.request_stop(Stop::Limit(LimitHit::Instructions { limit, pc: addr }));
            }
        }
    }

    /// For long loops in host code on the guest's behalf: fails once the time budget is
    /// spent (the watchdog flags it even while no guest code runs).
    pub fn check_budget(&self) -> Result<(), Stop<X::Stop>> {
        if let Some(signal) = crate::interrupt::requested() {
            return Err(Stop::Interrupted { signal });
        }
        let g = self.guest();
        if g.timed_out.load(Ordering::Relaxed) {
            let limit = g.limits.time.unwrap_or_default();
            return Err(Stop::Limit(LimitHit::Time { limit_ms: limit.as_millis() as u64 }));
        }
        Ok(())
    }

    /// Instructions counted so far (only when an instruction budget is set).
    pub fn instructions(&self) -> u64 {
        self.guest().usage.instructions
    }

    pub fn limits(&self) -> &Limits {
        &self.guest().limits
    }

    /// Switches the privilege guest code runs at (user mode checks the I/O permission map).
    pub fn set_privilege(&mut self, p: Privilege) {
        self.guest_mut().privilege = p;
    }

    /// Sets IOPL, the I/O privilege level user-mode code is checked against.
    pub fn set_iopl(&mut self, iopl: u8) {
        let f = self.reg(Reg::Flags);
        self.set_reg(Reg::Flags, (f & !flags::IOPL_MASK) | (((iopl & 3) as u64) << flags::IOPL_SHIFT));
    }

    /// The I/O permission map in the TSS (8 KiB + the trailing byte), as the CPU reads it.
    pub fn io_permission_map(&self) -> Vec<u8> {
        self.mem().read_partial(self.tss() + TSS_SIZE, IOPM_SIZE as usize)
    }

    /// Replaces the I/O permission map in the TSS; missing bytes deny.
    pub fn set_io_permission_map(&mut self, map: &[u8]) -> Result<(), MemError> {
        let mut full = iopm::deny_all().to_vec();
        let n = map.len().min(iopm::IOPM_BYTES);
        full[..n].copy_from_slice(&map[..n]);
        let tss = self.tss();
        self.mem_mut().write(tss + TSS_SIZE, &full)
    }
}

impl<X: Extension> Guest<X> {
    /// The address every run names as Unicorn's stop address: one no run ever reaches (the
    /// byte after `nested_sentinel`, on the return page the engine may not execute), so
    /// that the block Unicorn discards after each run is never a real one.
    fn stop_address(&self) -> u64 {
        self.nested_sentinel + 1
    }

    /// A run that reached `nested_sentinel` ended with the engine's fetch error on the
    /// return page: that is a return, like any other stop there.
    fn returned_from_nested(&self, result: Result<(), uc_error>, pc: u64) -> Result<(), uc_error> {
        match result {
            Err(uc_error::FETCH_PROT) if pc == self.nested_sentinel => Ok(()),
            other => other,
        }
    }

    /// The CPU's check for a CPL3 access: IOPL from EFLAGS, the bitmap from the TSS, where
    /// its IoMapBase (offset 0x66) says, as far as the TSS limit reaches (an IoMapBase past
    /// the limit denies every port: how Windows gives a process "map 0"). The TSS's bytes
    /// are read as guest memory holds them at this access (`tss_view` only keeps where they
    /// are).
    fn io_permitted(&mut self, port: u16, width: Width) -> bool {
        let view = self.tss_view.reader(&self.mem, self.tss);
        let granted = match view.map_grants(port, width.bytes()) {
            Some(granted) => granted,
            None => view.map_grants_bytewise(port, width.bytes()),
        };
        // A map that grants the access grants it whatever IOPL is (CPL > IOPL only sends the
        // processor to the map): EFLAGS is read only when the map denies.
        if granted {
            return true;
        }
        let eflags = self.uc.reg(Reg::Flags.uc(self.arch).unwrap());
        let iopl = ((eflags & flags::IOPL_MASK) >> flags::IOPL_SHIFT) as u8;
        iopl == 3
    }
}
