//! User mode (`Machine::switch_to_user`): user code runs under the user view of the page
//! tables, where the kernel half is out of reach, its #GPs are not mediated, and its port
//! accesses are checked against the map the TSS's IoMapBase selects. (x86: the slice of
//! user mode built so far; see portcullis-win32.)
mod common;
use common::*;

/// Runs `code` as user code on a user stack of its own; returns how the run ended.
fn run_user(m: &mut Machine, code: &[u8]) -> Result<u64, Stop<Never>> {
    let at = m.mem_mut().alloc(RegionKind::User, "user code", 0x1000, Prot::RWX).unwrap();
    m.mem_mut().write(at, code).unwrap();
    let stack = m.mem_mut().alloc(RegionKind::User, "user stack", 0x4000, Prot::RW).unwrap();
    let teb = m.mem_mut().alloc(RegionKind::User, "teb", 0x1000, Prot::RW).unwrap();
    let ret = m.return_address();
    m.prepare_call(&[], CallConv::Cdecl, stack + 0x4000, ret).unwrap();
    m.switch_to_user(teb).unwrap();
    let r = m.run_at(at, false).map(|e| match e {
        Exit::Returned(v) => v,
        other => panic!("{other:?}"),
    });
    m.switch_to_kernel(0).unwrap();
    r
}

#[test]
fn user_code_reaches_user_memory_but_not_the_kernel_half() {
    let mut m = machine(Arch::X86);
    let data = m.mem_mut().alloc(RegionKind::User, "user data", 0x1000, Prot::RW).unwrap();
    m.mem_mut().write(data, &0x1234_5678u32.to_le_bytes()).unwrap();
    // mov eax, [data]; ret
    let mut code = vec![0xA1];
    code.extend_from_slice(&(data as u32).to_le_bytes());
    code.push(0xC3);
    assert_eq!(run_user(&mut m, &code).unwrap(), 0x1234_5678);
    // The kernel stack is mapped and user-accessible for driver code, not for user code.
    let kernel = m.stack_top() - 0x1000;
    let mut code = vec![0xA1];
    code.extend_from_slice(&(kernel as u32).to_le_bytes());
    code.push(0xC3);
    let f = expect_fault(run_user(&mut m, &code));
    assert_eq!(f.kind, FaultKind::PageFault { address: kernel });
    assert_eq!(f.cpl, 3);
    // Driver code still reaches it, and the machine goes on.
    assert_eq!(m.privilege(), Privilege::Kernel);
    run(&mut m, |a| {
        a.mov(eax, dword_ptr(kernel as u32)).unwrap();
        a.ret().unwrap();
    })
    .unwrap();
}

#[test]
fn a_privileged_instruction_in_user_mode_is_not_emulated() {
    let mut m = machine(Arch::X86);
    // cli; ret
    let f = expect_fault(run_user(&mut m, &[0xFA, 0xC3]));
    assert_eq!(f.kind, FaultKind::GeneralProtection);
    assert!(f.reason.contains("cli"), "{}", f.reason);
    assert!(m.guest().trace.events().iter().all(|e| !matches!(e, Event::Privileged(_))));
}

#[test]
fn an_io_map_base_past_the_tss_limit_denies_every_port() {
    let mut m = machine(Arch::X86);
    m.guest_mut().ports.add_policy(0x80, 0x80, "post", ports::Policy::Log).unwrap();
    m.set_io_permission_map(&[0u8; 0x2000]).unwrap(); // every port allowed in map 1
                                                      // mov al, 0x55; out 0x80, al; ret
    let code = [0xB0, 0x55, 0xE6, 0x80, 0xC3];
    m.set_io_map_base(0x68).unwrap();
    run_user(&mut m, &code).unwrap();
    m.set_io_map_base(0xFFFF).unwrap();
    assert_eq!(m.io_map_base(), 0xFFFF);
    let f = expect_fault(run_user(&mut m, &code));
    assert_eq!(f.kind, FaultKind::GeneralProtection);
    let outcomes: Vec<_> = m.guest().trace.ports().map(|p| p.outcome).collect();
    assert_eq!(outcomes, [ports::Outcome::Logged, ports::Outcome::Denied]);
}
