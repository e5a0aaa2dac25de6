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

/// Runs `code` as user code with the native calling convention of the machine's
/// architecture (the bytes must mean the same on both: no REX prefixes).
fn run_user_native(m: &mut Machine, code: &[u8]) -> Result<u64, Stop<Never>> {
    let at = m.mem_mut().alloc(RegionKind::User, "user code", 0x1000, Prot::RWX).unwrap();
    m.mem_mut().write(at, code).unwrap();
    let stack = m.mem_mut().alloc(RegionKind::User, "user stack", 0x4000, Prot::RW).unwrap();
    let teb = m.mem_mut().alloc(RegionKind::User, "teb", 0x1000, Prot::RW).unwrap();
    let ret = m.return_address();
    m.prepare_call(&[], native(m.arch()), stack + 0x4000, ret).unwrap();
    m.switch_to_user(teb).unwrap();
    let r = m.run_at(at, false).map(|e| match e {
        Exit::Returned(v) => v,
        other => panic!("{other:?}"),
    });
    m.switch_to_kernel(0).unwrap();
    r
}

/// Driver code storing `value` at `at` (a guest write, not a host one).
fn guest_store(m: &mut Machine, at: u64, value: u8) {
    let arch = m.arch();
    run(m, |a| {
        match arch {
            Arch::X64 => a.mov(rax, at).unwrap(),
            Arch::X86 => a.mov(eax, at as u32).unwrap(),
        }
        match arch {
            Arch::X64 => a.mov(byte_ptr(rax), value as u32).unwrap(),
            Arch::X86 => a.mov(byte_ptr(eax), value as u32).unwrap(),
        }
        a.ret().unwrap();
    })
    .unwrap();
}

/// The permission check keeps where the TSS lies, never what it holds: a driver's own
/// writes to the map and to IoMapBase (as an x64 giveio makes them, through `str`/`sgdt`)
/// take effect on the program's next access, each way.
#[test]
fn driver_writes_to_the_tss_take_effect_on_the_next_user_access() {
    for arch in [Arch::X86, Arch::X64] {
        let mut m = machine(arch);
        m.guest_mut().ports.add_policy(0x80, 0x80, "post", ports::Policy::Log).unwrap();
        let mut map = vec![0xFFu8; 0x2000];
        map[0x80 / 8] = !1; // port 0x80 granted
        m.set_io_permission_map(&map).unwrap();
        m.set_io_map_base(0x68).unwrap();
        // mov al, 0x55; out 0x80, al; ret
        let code = [0xB0, 0x55, 0xE6, 0x80, 0xC3];
        run_user_native(&mut m, &code).unwrap();
        let tss = m.tss();
        guest_store(&mut m, tss + 0x68 + 0x80 / 8, 0xFF); // the driver takes 0x80 back
        let f = expect_fault(run_user_native(&mut m, &code));
        assert_eq!(f.kind, FaultKind::GeneralProtection, "{arch:?}");
        guest_store(&mut m, tss + 0x68 + 0x80 / 8, 0xFE); // and grants it again
        run_user_native(&mut m, &code).unwrap();
        guest_store(&mut m, tss + 0x67, 0xFF); // IoMapBase 0xFF68: past the limit, map 0
        assert_eq!(m.io_map_base(), 0xFF68);
        let f = expect_fault(run_user_native(&mut m, &code));
        assert_eq!(f.kind, FaultKind::GeneralProtection, "{arch:?}");
        let outcomes: Vec<_> = m.guest().trace.ports().map(|p| p.outcome).collect();
        use ports::Outcome::{Denied, Logged};
        assert_eq!(outcomes, [Logged, Denied, Logged, Denied], "{arch:?}");
    }
}

/// The user view is kept between entries to user mode and rewritten when the tables it
/// copied change: user memory mapped under a top-level entry that did not exist when the
/// view was last written is reachable from the next entry on.
#[test]
fn user_memory_mapped_after_the_view_was_written_is_reachable() {
    for (arch, far) in [(Arch::X86, 0x6000_0000u64), (Arch::X64, 0x0000_0100_0000_0000)] {
        let mut m = machine(arch);
        // xor eax, eax; ret
        assert_eq!(run_user_native(&mut m, &[0x31, 0xC0, 0xC3]).unwrap(), 0);
        m.mem_mut().map_fixed(RegionKind::User, "far user data", far, 0x1000, Prot::RW).unwrap();
        m.mem_mut().write(far, &0x1234_5678u32.to_le_bytes()).unwrap();
        // mov eax, [far]; ret (x64: mov rax, far via an absolute moffs load, A1 + imm64)
        let code = match arch {
            Arch::X86 => [&[0xA1][..], &(far as u32).to_le_bytes(), &[0xC3]].concat(),
            Arch::X64 => [&[0xA1][..], &far.to_le_bytes(), &[0xC3]].concat(),
        };
        assert_eq!(run_user_native(&mut m, &code).unwrap() as u32, 0x1234_5678, "{arch:?}");
    }
}

#[test]
fn each_address_space_has_its_own_user_half_at_the_same_addresses() {
    for arch in [Arch::X86, Arch::X64] {
        let mut m = machine(arch);
        let kernel = m.mem_mut().alloc(RegionKind::Pool, "shared pool", 0x1000, Prot::RW).unwrap();
        let at = 0x40_0000;
        m.mem_mut().map_fixed(RegionKind::User, "image a", at, 0x2000, Prot::RW).unwrap();
        m.mem_mut().write_u32(at, 0xAAAA).unwrap();
        let first = m.mem().space();
        let second = m.mem_mut().new_space(0);
        m.mem_mut().switch_space(second).unwrap();
        // An empty user half: the address is free, the kernel half is the same.
        assert_eq!(m.mem().read_u32(at), Err(MemError::Unmapped { addr: at }));
        assert!(m.mem().region_at(at).is_none());
        m.mem_mut().write_u32(kernel, 7).unwrap();
        m.mem_mut().map_fixed(RegionKind::User, "image b", at, 0x1000, Prot::RW).unwrap();
        m.mem_mut().write_u32(at, 0xBBBB).unwrap();
        let pool_b = m.mem_mut().alloc(RegionKind::User, "heap b", 0x1000, Prot::RW).unwrap();
        // User code running in it reads its own page.
        let mut code = vec![0xA1];
        code.extend_from_slice(&(at as u32).to_le_bytes());
        code.push(0xC3);
        if arch == Arch::X86 {
            assert_eq!(run_user(&mut m, &code).unwrap(), 0xBBBB);
        }
        m.mem_mut().switch_space(first).unwrap();
        assert_eq!(m.mem().read_u32(at).unwrap(), 0xAAAA);
        assert_eq!(m.mem().read_u32(kernel).unwrap(), 7);
        assert_eq!(m.mem().region_at(at).map(|r| r.name.as_str()), Some("image a"));
        assert!(m.mem().region_at(pool_b).is_none());
        if arch == Arch::X86 {
            assert_eq!(run_user(&mut m, &code).unwrap(), 0xAAAA);
        }
        // Ending the second gives its pages and tables back; the loaded one cannot end.
        let used = m.mem().usage().used;
        m.mem_mut().drop_space(second).unwrap();
        assert!(m.mem().usage().used < used);
        assert!(!m.mem().space_exists(second));
        assert_eq!(m.mem_mut().drop_space(first), Err(MemError::NoSpace { id: first }));
        assert_eq!(m.mem_mut().switch_space(second), Err(MemError::NoSpace { id: second }));
        assert_eq!(m.mem().read_u32(at).unwrap(), 0xAAAA);
    }
}
