//! Execution contexts: suspending a run from a host call and resuming it, switching flows
//! inside a run, nesting, and per-CPU control regions.

mod common;

use std::cell::RefCell;

use common::*;

thread_local! {
    /// What the host calls saw, in order.
    static LOG: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
    /// Saved flows for the switching test: (context, where it stopped).
    static FLOWS: RefCell<Vec<(CpuContext, u64)>> = const { RefCell::new(Vec::new()) };
    static TURN: RefCell<usize> = const { RefCell::new(0) };
}

fn log(v: u64) {
    LOG.with(|l| l.borrow_mut().push(v));
}

fn take_log() -> Vec<u64> {
    LOG.with(|l| std::mem::take(&mut *l.borrow_mut()))
}

/// Host call 0: logs its argument and suspends the run. Host call 1: the flow's exit (it is
/// "returned to", not called): logs the flow's result and suspends.
fn yield_or_exit(m: &mut Machine, slot: u32) -> Result<(), Stop<Never>> {
    let v = if slot == 1 { 0xE000 + m.reg(Reg::Ax) } else { m.arg(native(m.arch()), 0).unwrap() };
    log(v);
    m.suspend();
    Ok(())
}

/// flow(id): three times: r = yield(id * 100 + i); [out + i * 8] = r. Then returns id.
fn flow(m: &mut Machine, yield_at: u64, out: u64) -> u64 {
    let arch = m.arch();
    load(m, |a| match arch {
        Arch::X64 => {
            a.push(rbx).unwrap();
            a.push(rsi).unwrap();
            a.push(rdi).unwrap();
            a.sub(rsp, 0x20).unwrap();
            a.mov(rbx, rcx).unwrap();
            a.xor(esi, esi).unwrap();
            a.mov(rdi, out).unwrap();
            let mut top = a.create_label();
            a.set_label(&mut top).unwrap();
            a.imul_3(rcx, rbx, 100).unwrap();
            a.add(rcx, rsi).unwrap();
            a.mov(rax, yield_at).unwrap();
            a.call(rax).unwrap();
            a.mov(qword_ptr(rdi + rsi * 8), rax).unwrap();
            a.inc(rsi).unwrap();
            a.cmp(rsi, 3).unwrap();
            a.jne(top).unwrap();
            a.mov(rax, rbx).unwrap();
            a.add(rsp, 0x20).unwrap();
            a.pop(rdi).unwrap();
            a.pop(rsi).unwrap();
            a.pop(rbx).unwrap();
            a.ret().unwrap();
        }
        Arch::X86 => {
            a.push(ebx).unwrap();
            a.push(esi).unwrap();
            a.push(edi).unwrap();
            a.mov(ebx, dword_ptr(esp + 16)).unwrap();
            a.xor(esi, esi).unwrap();
            a.mov(edi, out as u32).unwrap();
            let mut top = a.create_label();
            a.set_label(&mut top).unwrap();
            a.imul_3(ecx, ebx, 100).unwrap();
            a.add(ecx, esi).unwrap();
            a.push(ecx).unwrap();
            a.mov(eax, yield_at as u32).unwrap();
            a.call(eax).unwrap(); // stdcall: pops its argument
            a.mov(dword_ptr(edi + esi * 8), eax).unwrap();
            a.inc(esi).unwrap();
            a.cmp(esi, 3).unwrap();
            a.jne(top).unwrap();
            a.mov(eax, ebx).unwrap();
            a.pop(edi).unwrap();
            a.pop(esi).unwrap();
            a.pop(ebx).unwrap();
            a.ret_1(4).unwrap();
        }
    })
}

fn stack(m: &mut Machine) -> u64 {
    m.mem_mut().alloc(RegionKind::Stack, "flow stack", 0x4000, Prot::RW).unwrap() + 0x3F00
}

#[test]
fn suspended_host_calls_resume_where_they_stopped_with_the_value_given() {
    for arch in both() {
        let mut m = machine(arch);
        let conv = native(arch);
        let stubs = m.add_host_calls("flow calls", &[conv.return_code(1), conv.return_code(1)], yield_or_exit).unwrap();
        let (yield_at, exit_at) = (stubs, stubs + HOST_CALL_SLOT);
        let out = m.mem_mut().alloc(RegionKind::System, "results", 0x1000, Prot::RW).unwrap();
        let code = flow(&mut m, yield_at, out);
        let code_b = flow(&mut m, yield_at, out + 0x100);
        take_log();

        // Start both flows, each on its own stack, each returning into the exit call.
        let mut flows = Vec::new();
        for (id, entry) in [(1u64, code), (2, code_b)] {
            let top = stack(&mut m);
            m.prepare_call(&[id], conv, top, exit_at).unwrap();
            let pc = match m.run_at(entry, false).unwrap() {
                Exit::Suspended { pc } => pc,
                other => panic!("{other:?}"),
            };
            assert_eq!(pc, yield_at);
            flows.push((m.new_context().unwrap(), pc));
        }
        // Alternate: each resumes with a value of ours as the yield's result.
        let mut given = 0x500;
        let mut finished = 0;
        while finished < 2 {
            for f in flows.iter_mut() {
                if f.1 == exit_at {
                    continue;
                }
                m.restore_context(&f.0);
                m.set_return(given);
                given += 1;
                match m.run_at(f.1, true).unwrap() {
                    Exit::Suspended { pc } => {
                        f.1 = pc;
                        m.save_context(&f.0);
                        if pc == exit_at {
                            finished += 1;
                        }
                    }
                    other => panic!("{other:?}"),
                }
            }
        }
        assert_eq!(take_log(), vec![100, 200, 101, 201, 102, 202, 0xE001, 0xE002], "{arch:?}");
        let read = |m: &Machine, at: u64| m.mem().read_u64(at).unwrap() & arch.mask(u64::MAX);
        assert_eq!([read(&m, out), read(&m, out + 8), read(&m, out + 16)], [0x500, 0x502, 0x504], "{arch:?}");
        assert_eq!([read(&m, out + 0x100), read(&m, out + 0x108)], [0x501, 0x503], "{arch:?}");
        // The machine still makes plain calls.
        let f = load(&mut m, |a| {
            a.mov(eax, 9).unwrap();
            match arch {
                Arch::X64 => a.ret().unwrap(),
                Arch::X86 => a.ret().unwrap(),
            }
        });
        assert_eq!(m.call(f, &[], CallConv::Cdecl.for_arch(arch)).unwrap(), 9);
    }
}

/// Host call: switch to the other flow inside the same run. The first switch starts flow B
/// (its entry and stack are in the log's first two words); later ones resume.
fn switch(m: &mut Machine, _slot: u32) -> Result<(), Stop<Never>> {
    let arch = m.arch();
    let v = m.arg(native(arch), 0).unwrap();
    log(v);
    let me = TURN.with(|t| *t.borrow());
    let slot_pc = m.reg(Reg::Ip);
    FLOWS.with(|f| {
        let mut f = f.borrow_mut();
        if f.len() <= me {
            f.push((m.new_context().unwrap(), slot_pc));
        } else {
            m.save_context(&f[me].0);
            f[me].1 = slot_pc;
        }
    });
    let other = 1 - me;
    TURN.with(|t| *t.borrow_mut() = other);
    let started = FLOWS.with(|f| f.borrow().len() > other);
    if started {
        FLOWS.with(|f| {
            let f = f.borrow();
            m.restore_context(&f[other].0);
            m.set_return(v + 1000);
            m.jump(f[other].1, true);
        });
    } else {
        // Start flow B: flow(2) on its own stack, returning into this level's exit.
        let (entry, top) = START_B.with(|s| *s.borrow());
        let ret = m.level_return_address();
        m.prepare_call(&[2], native(arch), top, ret).unwrap();
        m.jump(entry, false);
    }
    Ok(())
}

thread_local! {
    static START_B: RefCell<(u64, u64)> = const { RefCell::new((0, 0)) };
}

#[test]
fn a_host_call_switches_flows_without_ending_the_run() {
    for arch in both() {
        let mut m = machine(arch);
        let conv = native(arch);
        let sw = m.add_host_calls("switch", &[conv.return_code(1)], switch).unwrap();
        let out = m.mem_mut().alloc(RegionKind::System, "results", 0x1000, Prot::RW).unwrap();
        let a_code = flow(&mut m, sw, out);
        let b_code = flow(&mut m, sw, out + 0x100);
        let b_top = stack(&mut m);
        START_B.with(|s| *s.borrow_mut() = (b_code, b_top));
        FLOWS.with(|f| f.borrow_mut().clear());
        TURN.with(|t| *t.borrow_mut() = 0);
        take_log();
        // A runs as a top-level call; after three switches each way it returns to the top
        // level's sentinel, which ends the call; B stays parked at its third yield.
        let r = m.call(a_code, &[1], conv).unwrap();
        assert_eq!(r, 1, "{arch:?}");
        assert_eq!(take_log(), vec![100, 200, 101, 201, 102, 202], "{arch:?}");
        let read = |m: &Machine, at: u64| m.mem().read_u64(at).unwrap() & arch.mask(u64::MAX);
        // A's yields returned B's value + 1000 and vice versa.
        assert_eq!([read(&m, out), read(&m, out + 8), read(&m, out + 16)], [1200, 1201, 1202], "{arch:?}");
        assert_eq!([read(&m, out + 0x100), read(&m, out + 0x108)], [1101, 1102], "{arch:?}");
    }
}

thread_local! {
    static INNER: RefCell<Option<(CpuContext, u64)>> = const { RefCell::new(None) };
}

/// Host call: runs flow C nested on its own stack until it suspends, then returns 77 to the
/// caller with the caller's registers intact.
fn nest(m: &mut Machine, slot: u32) -> Result<(), Stop<Never>> {
    if slot != 0 {
        return yield_or_exit(m, slot - 1);
    }
    let arch = m.arch();
    let caller = m.new_context().unwrap();
    let (entry, top, exit_at) = NESTED.with(|s| *s.borrow());
    m.prepare_call(&[3], native(arch), top, exit_at).unwrap();
    assert_eq!(m.depth(), 1);
    match m.run_at(entry, false)? {
        Exit::Suspended { pc } => {
            let c = m.new_context().unwrap();
            INNER.with(|i| *i.borrow_mut() = Some((c, pc)));
        }
        other => panic!("{other:?}"),
    }
    m.restore_context(&caller);
    m.set_return(77);
    Ok(())
}

thread_local! {
    static NESTED: RefCell<(u64, u64, u64)> = const { RefCell::new((0, 0, 0)) };
}

#[test]
fn a_flow_suspended_inside_a_nested_run_resumes_at_the_top_level() {
    for arch in both() {
        let mut m = machine(arch);
        let conv = native(arch);
        let stubs =
            m.add_host_calls("nest", &[conv.return_code(0), conv.return_code(1), conv.return_code(1)], nest).unwrap();
        let (nest_at, yield_at, exit_at) = (stubs, stubs + HOST_CALL_SLOT, stubs + 2 * HOST_CALL_SLOT);
        let out = m.mem_mut().alloc(RegionKind::System, "results", 0x1000, Prot::RW).unwrap();
        let c_code = flow(&mut m, yield_at, out);
        let top = stack(&mut m);
        NESTED.with(|s| *s.borrow_mut() = (c_code, top, exit_at));
        take_log();
        // main: r = nest(); return r + 1, with RBX/EBX kept across the call.
        let main = load(&mut m, |a| match arch {
            Arch::X64 => {
                a.push(rbx).unwrap();
                a.sub(rsp, 0x20).unwrap();
                a.mov(rbx, 0x1234u64).unwrap();
                a.mov(rax, nest_at).unwrap();
                a.call(rax).unwrap();
                a.cmp(rbx, 0x1234).unwrap();
                a.jne(0).unwrap();
                a.inc(rax).unwrap();
                a.add(rsp, 0x20).unwrap();
                a.pop(rbx).unwrap();
                a.ret().unwrap();
            }
            Arch::X86 => {
                a.push(ebx).unwrap();
                a.mov(ebx, 0x1234).unwrap();
                a.mov(eax, nest_at as u32).unwrap();
                a.call(eax).unwrap();
                a.cmp(ebx, 0x1234).unwrap();
                a.jne(0).unwrap();
                a.inc(eax).unwrap();
                a.pop(ebx).unwrap();
                a.ret().unwrap();
            }
        });
        assert_eq!(m.call(main, &[], conv).unwrap(), 78, "{arch:?}");
        assert_eq!(take_log(), vec![300]);
        // C resumes from the top level until it exits.
        let (ctx, mut pc) = INNER.with(|i| i.borrow_mut().take()).unwrap();
        while pc != exit_at {
            m.restore_context(&ctx);
            m.set_return(5);
            pc = match m.run_at(pc, true).unwrap() {
                Exit::Suspended { pc } => pc,
                other => panic!("{other:?}"),
            };
            m.save_context(&ctx);
        }
        assert_eq!(take_log(), vec![301, 302, 0xE003], "{arch:?}");
    }
}

#[test]
fn each_processor_has_its_own_control_region_and_contexts_keep_theirs() {
    for arch in both() {
        let mut config = MachineConfig::new(arch);
        config.cpus = 3;
        let mut m = machine_with(config);
        for cpu in 0..3 {
            let (base, size) = m.cpu_block(cpu);
            assert!(size >= 0x4000);
            m.mem_mut().write_u32(base + 0x100, 0xC0 + cpu).unwrap();
        }
        // Reads the per-CPU segment at 0x100.
        let read = load(&mut m, |a| match arch {
            Arch::X64 => {
                a.mov(eax, dword_ptr(0x100).gs()).unwrap();
                a.ret().unwrap();
            }
            Arch::X86 => {
                a.mov(eax, dword_ptr(0x100).fs()).unwrap();
                a.ret().unwrap();
            }
        });
        let conv = CallConv::Cdecl.for_arch(arch);
        assert_eq!(m.call(read, &[], conv).unwrap(), 0xC0, "{arch:?}");
        m.select_cpu(2).unwrap();
        let on_two = m.new_context().unwrap();
        assert_eq!(m.call(read, &[], conv).unwrap(), 0xC2, "{arch:?}");
        m.select_cpu(1).unwrap();
        assert_eq!(m.call(read, &[], conv).unwrap(), 0xC1, "{arch:?}");
        m.restore_context(&on_two);
        assert_eq!(m.call(read, &[], conv).unwrap(), 0xC2, "{arch:?}");
        assert!(m.select_cpu(3).is_err());
    }
    let mut config = MachineConfig::new(Arch::X64);
    config.cpus = 0;
    assert!(Machine::new(config, ()).is_err());
}

/// spin(counter, n): adds 1 to [counter] n times, then returns. A loop with no host call.
fn spin(m: &mut Machine, counter: u64, n: u32) -> u64 {
    let arch = m.arch();
    load(m, |a| match arch {
        Arch::X64 => {
            a.mov(rdx, counter).unwrap();
            a.mov(ecx, n).unwrap();
            let mut top = a.create_label();
            a.set_label(&mut top).unwrap();
            a.inc(dword_ptr(rdx)).unwrap();
            a.dec(ecx).unwrap();
            a.jnz(top).unwrap();
            a.mov(eax, dword_ptr(rdx)).unwrap();
            a.ret().unwrap();
        }
        Arch::X86 => {
            a.mov(edx, counter as u32).unwrap();
            a.mov(ecx, n).unwrap();
            let mut top = a.create_label();
            a.set_label(&mut top).unwrap();
            a.inc(dword_ptr(edx)).unwrap();
            a.dec(ecx).unwrap();
            a.jnz(top).unwrap();
            a.mov(eax, dword_ptr(edx)).unwrap();
            a.ret().unwrap();
        }
    })
}

#[test]
fn a_quantum_preempts_a_run_exactly_and_the_flows_share_the_machine() {
    for arch in both() {
        let mut m = machine(arch);
        let conv = native(arch);
        let stubs = m.add_host_calls("flow calls", &[conv.return_code(0)], |m: &mut Machine, _| {
            log(m.reg(Reg::Ax));
            m.suspend();
            Ok(())
        });
        let exit_at = stubs.unwrap();
        let counters = m.mem_mut().alloc(RegionKind::System, "counters", 0x1000, Prot::RW).unwrap();
        let codes = [spin(&mut m, counters, 5000), spin(&mut m, counters + 8, 7000)];
        take_log();
        // Both start, each preempted after 1000 instructions, then they alternate.
        let mut flows = Vec::new();
        for code in codes {
            let top = stack(&mut m);
            m.prepare_call(&[], conv, top, exit_at).unwrap();
            m.set_quantum(Some(1000));
            match m.run_at(code, false).unwrap() {
                Exit::Preempted { pc } => flows.push((m.new_context().unwrap(), Some(pc))),
                other => panic!("{arch:?}: {other:?}"),
            }
        }
        let mut slices = 2;
        while flows.iter().any(|f| f.1.is_some()) {
            for f in flows.iter_mut() {
                let Some(pc) = f.1 else { continue };
                m.restore_context(&f.0);
                m.set_quantum(Some(1000));
                slices += 1;
                match m.run_at(pc, false).unwrap() {
                    Exit::Preempted { pc } => {
                        m.save_context(&f.0);
                        f.1 = Some(pc);
                    }
                    Exit::Suspended { .. } => f.1 = None,
                    other => panic!("{arch:?}: {other:?}"),
                }
            }
        }
        // Every increment happened exactly once, whatever instruction each slice ended on.
        assert_eq!(m.mem().read_u32(counters).unwrap(), 5000, "{arch:?}");
        assert_eq!(m.mem().read_u32(counters + 8).unwrap(), 7000);
        assert_eq!(take_log(), vec![5000, 7000], "each returned its own count");
        // 3 instructions a round: 15,000 and 21,000 instructions in slices of 1,000.
        assert!((36..=40).contains(&slices), "{slices} slices");
        // Without a quantum a run goes to its end.
        m.mem_mut().write_u32(counters, 0).unwrap();
        let top = stack(&mut m);
        m.prepare_call(&[], conv, top, exit_at).unwrap();
        assert!(matches!(m.run_at(codes[0], false).unwrap(), Exit::Suspended { .. }));
        assert_eq!(m.mem().read_u32(counters).unwrap(), 5000);
    }
}
