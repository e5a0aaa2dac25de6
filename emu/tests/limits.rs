//! Budgets end runs with distinct, reported reasons.
mod common;
use common::*;
use std::time::Duration;

fn spin(a: &mut CodeAssembler) {
    let mut top = a.create_label();
    a.set_label(&mut top).unwrap();
    a.inc(eax).unwrap();
    a.jmp(top).unwrap();
}

#[test]
fn the_instruction_budget_stops_an_endless_loop() {
    for arch in both() {
        let mut cfg = MachineConfig::new(arch);
        cfg.limits.max_instructions = Some(10_000);
        let mut m = machine_with(cfg);
        let at = load(&mut m, spin);
        match m.call(at, &[], native(m.arch())) {
            // The loop is the code's first (and only) block: the report says where it spun.
            Err(Stop::Limit(LimitHit::Instructions { limit: 10_000, pc })) => assert_eq!(pc, at),
            other => panic!("{other:?}"),
        }
        // Stopped within one block of the budget.
        assert!((10_000..10_010).contains(&m.instructions()), "{}", m.instructions());
        assert!(matches!(m.guest().trace.events().last(), Some(Event::Limit(LimitHit::Instructions { .. }))));
        // The budget is spent: the next call stops at once.
        assert!(matches!(
            run(&mut m, |a| {
                a.nop().unwrap();
                a.ret().unwrap();
            }),
            Err(Stop::Limit(LimitHit::Instructions { .. }))
        ));
    }
}

#[test]
fn the_instruction_count_is_deterministic() {
    let count = || {
        let mut cfg = MachineConfig::new(Arch::X64);
        cfg.limits.max_instructions = Some(1_000_000);
        let mut m = machine_with(cfg);
        run(&mut m, |a| {
            a.mov(ecx, 1000).unwrap();
            let mut top = a.create_label();
            a.set_label(&mut top).unwrap();
            a.add(eax, ecx).unwrap();
            a.dec(ecx).unwrap();
            a.jnz(top).unwrap();
            a.ret().unwrap();
        })
        .unwrap();
        m.instructions()
    };
    assert_eq!(count(), 3002);
    assert_eq!(count(), count());
}

#[test]
fn the_time_budget_stops_an_endless_loop() {
    for arch in both() {
        let mut cfg = MachineConfig::new(arch);
        cfg.limits.time = Some(Duration::from_millis(100));
        let mut m = machine_with(cfg);
        match run(&mut m, spin) {
            Err(Stop::Limit(LimitHit::Time { limit_ms: 100 })) => {}
            other => panic!("{other:?}"),
        }
        // Exhausted for good.
        assert!(matches!(
            run(&mut m, |a| {
                a.ret().unwrap();
            }),
            Err(Stop::Limit(LimitHit::Time { .. }))
        ));
    }
}

fn spin_in_guest(m: &mut Machine, _slot: u32) -> Result<(), Stop<Never>> {
    let target = m.arg(CallConv::Win64, 0).unwrap();
    m.call(target, &[], CallConv::Win64)?;
    Ok(())
}

#[test]
fn the_time_budget_reaches_nested_calls() {
    let mut cfg = MachineConfig::new(Arch::X64);
    cfg.limits.time = Some(Duration::from_millis(50));
    let mut m = machine_with(cfg);
    let stub = m.add_host_calls("spin", &[vec![0xC3]], spin_in_guest).unwrap();
    let looping = load(&mut m, spin);
    let outer = load(&mut m, |a| {
        a.sub(rsp, 0x28).unwrap();
        a.mov(rax, stub).unwrap();
        a.call(rax).unwrap();
        a.add(rsp, 0x28).unwrap();
        a.ret().unwrap();
    });
    match m.call(outer, &[looping], CallConv::Win64) {
        Err(Stop::Limit(LimitHit::Time { limit_ms: 50 })) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_memory_cap_refuses_more_guest_memory() {
    let mut cfg = MachineConfig::new(Arch::X64);
    cfg.limits.memory_bytes = 4 << 20;
    let mut m = machine_with(cfg);
    let probe = m.mem_mut().alloc(RegionKind::Pool, "probe", 0x1000, Prot::RW).unwrap();
    let err = m.mem_mut().alloc(RegionKind::Pool, "big", 8 << 20, Prot::RW).unwrap_err();
    assert_eq!(err, MemError::LimitExceeded { limit: 4 << 20 });
    // A failed allocation maps nothing, uses up none of the arena, and leaves room for
    // smaller ones, which land right after the probe and its guard page.
    let before = m.mem().usage().used;
    let small = m.mem_mut().alloc(RegionKind::Pool, "small", 0x10000, Prot::RW).unwrap();
    assert_eq!(small, probe + 0x2000);
    // Sixteen pages, plus at most a page-table page for the new range.
    let grown = m.mem().usage().used - before;
    assert!((0x10000..=0x11000).contains(&grown), "{grown:#x}");
    assert!(m.mem().usage().peak <= 4 << 20);
}

#[test]
fn a_made_up_length_fails_at_the_first_unmapped_page_without_a_host_allocation() {
    for arch in both() {
        let mut m = machine_with(MachineConfig::new(arch));
        let at = m.mem_mut().alloc(RegionKind::Pool, "buffer", 0x2000, Prot::RW).unwrap();
        m.mem_mut().write(at + 0x1ffe, b"ok").unwrap();
        assert_eq!(m.mem().read_vec(at + 0x1ffe, 2).unwrap(), b"ok");
        assert_eq!(m.mem().read_vec(at, 0).unwrap(), b"");
        // 4 GiB asked for over a two-page buffer: an error after the buffer (the guard page
        // follows it), with at most the buffer's pages read.
        assert!(matches!(m.mem().read_vec(at, u32::MAX as u64), Err(MemError::Unmapped { .. })), "{arch:?}");
    }
}
