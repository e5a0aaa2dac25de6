//! Helpers for machine tests: assemble snippets with iced-x86 and run them.
#![allow(dead_code)]

pub use iced_x86::code_asm::*;
pub use portcullis_emu::*;

/// A machine of `arch` with no extension.
pub fn machine(arch: Arch) -> Machine {
    Machine::new(MachineConfig::new(arch), ()).expect("machine")
}

pub fn machine_with(config: MachineConfig) -> Machine {
    Machine::new(config, ()).expect("machine")
}

pub fn bits(arch: Arch) -> u32 {
    match arch {
        Arch::X86 => 32,
        Arch::X64 => 64,
    }
}

/// Assembles `f` for `arch` at `base`.
pub fn assemble(arch: Arch, base: u64, f: impl FnOnce(&mut CodeAssembler)) -> Vec<u8> {
    let mut a = CodeAssembler::new(bits(arch)).unwrap();
    f(&mut a);
    a.assemble(base).expect("assemble")
}

/// Places code assembled by `f` in a fresh executable region and returns its address.
pub fn load(m: &mut Machine, f: impl FnOnce(&mut CodeAssembler)) -> u64 {
    let arch = m.arch();
    let base = m.mem_mut().alloc(RegionKind::Image, "test code", 0x4000, Prot::RX).unwrap();
    let code = assemble(arch, base, f);
    m.mem_mut().write_unchecked(base, &code).unwrap();
    base
}

/// Runs code assembled by `f` (which must end in `ret`) with no arguments.
pub fn run(m: &mut Machine, f: impl FnOnce(&mut CodeAssembler)) -> Result<u64, Stop<Never>> {
    let at = load(m, f);
    m.call(at, &[], native(m.arch()))
}

pub fn native(arch: Arch) -> CallConv {
    match arch {
        Arch::X86 => CallConv::Stdcall,
        Arch::X64 => CallConv::Win64,
    }
}

pub fn both() -> [Arch; 2] {
    [Arch::X86, Arch::X64]
}

/// The fault a run ended with; panics if it ended otherwise.
pub fn expect_fault(r: Result<u64, Stop<Never>>) -> GuestFault {
    match r {
        Err(Stop::Fault(f)) => *f,
        other => panic!("expected a guest fault, got {other:?}"),
    }
}
