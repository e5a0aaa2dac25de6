//! What the calibration tests check: the machine whose engine was probed (the first of the
//! process) runs a program that traps again and again exactly as a machine built afterwards.
use crate::common::*;

/// Thirty traps in a row (none may escalate to #DF or a triple fault), then the state the
/// program leaves: every general register, the flags, the trace.
fn traps_and_state(m: &mut Machine) -> (u64, Vec<u64>, String) {
    let arch = m.arch();
    let r = run(m, |a| {
        for _ in 0..10 {
            a.mov(ecx, 0x1B).unwrap(); // IA32_APIC_BASE
            a.rdmsr().unwrap();
            a.cli().unwrap();
            a.sti().unwrap();
        }
        a.mov(eax, 7).unwrap();
        a.ret().unwrap();
    });
    let regs = match arch {
        Arch::X86 => Reg::DUMP_X86.to_vec(),
        Arch::X64 => Reg::DUMP_X64.to_vec(),
    };
    let values = regs.iter().map(|r| m.reg(*r)).collect();
    (r.expect("the program returns"), values, format!("{:?}", m.guest().trace.events()))
}

pub fn check(arch: Arch) {
    let mut first = machine(arch);
    let mut second = machine(arch);
    let a = traps_and_state(&mut first);
    let b = traps_and_state(&mut second);
    assert_eq!(a.0, 7);
    assert_eq!(first.guest().trace.counters.privileged, 30);
    assert_eq!(a, b, "{arch:?}: the calibrating machine and a later one differ");
}
