//! Guest faults come back as typed values with pc, instruction, registers and stack.
mod common;
use common::*;

#[test]
fn divide_error() {
    for arch in both() {
        let mut m = machine(arch);
        let at = load(&mut m, |a| {
            a.xor(ecx, ecx).unwrap();
            a.div(ecx).unwrap();
            a.ret().unwrap();
        });
        let f = expect_fault(m.call(at, &[], native(arch)));
        assert_eq!(f.kind, FaultKind::DivideError);
        assert_eq!((f.pc, f.instruction.as_deref()), (at + 2, Some("div ecx")));
        assert_eq!(f.registers.iter().find(|r| r.name.ends_with("cx")).unwrap().value, 0);
        assert_eq!(f.stack[0], m.return_address(), "the stack dump starts at the return address");
    }
}

#[test]
fn invalid_opcode() {
    for arch in both() {
        let mut m = machine(arch);
        let at = load(&mut m, |a| {
            a.nop().unwrap();
            a.ud2().unwrap();
        });
        let f = expect_fault(m.call(at, &[], native(arch)));
        assert_eq!((f.kind.clone(), f.pc), (FaultKind::InvalidOpcode, at + 1));
        assert_eq!(f.kind.mnemonic(), "#UD");
    }
}

#[test]
fn breakpoint_reports_the_int3_itself() {
    for arch in both() {
        let mut m = machine(arch);
        let at = load(&mut m, |a| {
            a.nop().unwrap();
            a.int3().unwrap();
            a.ret().unwrap();
        });
        let f = expect_fault(m.call(at, &[], native(arch)));
        assert_eq!((f.kind.clone(), f.pc), (FaultKind::Breakpoint, at + 1));
    }
}

#[test]
fn general_protection_on_a_non_canonical_address() {
    let mut m = machine(Arch::X64);
    let at = load(&mut m, |a| {
        a.mov(rcx, 0x8000_0000_0000_0000u64).unwrap();
        a.mov(rax, qword_ptr(rcx)).unwrap();
        a.ret().unwrap();
    });
    let f = expect_fault(m.call(at, &[], CallConv::Win64));
    assert_eq!((f.kind.clone(), f.pc), (FaultKind::GeneralProtection, at + 10));
    assert_eq!(f.reason, "");
}

#[test]
fn general_protection_on_a_bad_segment_load() {
    let mut m = machine(Arch::X86);
    let f = expect_fault(run(&mut m, |a| {
        a.mov(eax, 0x4242).unwrap();
        a.mov(ds, ax).unwrap();
        a.ret().unwrap();
    }));
    assert_eq!(f.kind, FaultKind::GeneralProtection);
    assert_eq!(f.instruction.as_deref(), Some("mov ds, ax"));
}

#[test]
fn page_fault_carries_cr2() {
    let mut m = machine(Arch::X64);
    let f = expect_fault(run(&mut m, |a| {
        a.xor(ecx, ecx).unwrap();
        a.mov(eax, dword_ptr(rcx + 0x18)).unwrap();
        a.ret().unwrap();
    }));
    assert_eq!(f.kind, FaultKind::PageFault { address: 0x18 });
    assert!(f.to_string().starts_with("#PF at"), "{f}");
    assert!(f.to_string().contains("touching 0x18"));
}

#[test]
fn software_interrupts_and_the_double_fault_vector() {
    for arch in both() {
        let mut m = machine(arch);
        // int 0x2c: the kernel's assertion vector.
        let at = load(&mut m, |a| {
            a.nop().unwrap();
            a.int(0x2C).unwrap();
            a.ret().unwrap();
        });
        let f = expect_fault(m.call(at, &[], native(arch)));
        assert_eq!((f.kind.clone(), f.pc), (FaultKind::SoftwareInterrupt { vector: 0x2C }, at + 1));
        // Kernel-mode `int 8` vectors through the double-fault handler.
        let at = load(&mut m, |a| {
            a.int(8).unwrap();
            a.ret().unwrap();
        });
        let f = expect_fault(m.call(at, &[], native(arch)));
        assert_eq!((f.kind.clone(), f.pc), (FaultKind::DoubleFault, at), "{arch:?}");
        assert_eq!(f.kind.mnemonic(), "#DF");
    }
}

#[test]
fn faults_are_recorded_in_the_trace() {
    let mut m = machine(Arch::X86);
    let f = expect_fault(run(&mut m, |a| {
        a.ud2().unwrap();
    }));
    match m.guest().trace.events().last() {
        Some(Event::Fault(g)) => assert_eq!(g, &f),
        other => panic!("{other:?}"),
    }
}
