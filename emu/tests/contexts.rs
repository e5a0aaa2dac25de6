//! Execution contexts: suspending a run from a host call and resuming it, switching flows
//! inside a run, nesting, and per-CPU control regions.

mod common;

use std::cell::RefCell;

use common::*;

thread_local! {
    /// What the host calls saw, in order.
    static LOG: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
    /// Saved flows for the switching test: (context, where it stopped).
    static FLOWS: RefCell<Vec<(SavedContext, u64)>> = const { RefCell::new(Vec::new()) };
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
    static INNER: RefCell<Option<(SavedContext, u64)>> = const { RefCell::new(None) };
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

thread_local! {
    /// The unwind test's state: the flows' saved targets (A's, B's), which one `unwind`
    /// goes to, B's entry and stack, and what `note` saw (entry stack pointer and stack of
    /// the innermost call).
    static UNWIND: RefCell<UnwindTest> = RefCell::new(UnwindTest::default());
}

#[derive(Default)]
struct UnwindTest {
    targets: [Option<CpuContext>; 2],
    to: usize,
    helper: u64,
    b_entry: u64,
    b_top: u64,
    notes: Vec<(u64, (u64, u64))>,
}

/// The caller's context as it will be once the host call returns.
fn after_return(m: &Machine) -> CpuContext {
    let mut ctx = m.capture_context();
    let top = ctx.sp();
    ctx.ip = m.mem().read_ptr(top).unwrap();
    ctx.set_sp(top + m.arch().ptr_size());
    ctx
}

/// Host calls: 0 `switch` (flow A's: saves A's target and starts flow B on its own stack
/// in the same run), 1 `save` (B's target; returns 0), 2 `nest` (calls the helper, which
/// unwinds, nested), 3 `unwind` (to the chosen target with eax = 0x55), 4 `note`, 5 `yield`
/// (suspends the run).
fn unwind_flows(m: &mut Machine, slot: u32) -> Result<(), Stop<Never>> {
    let arch = m.arch();
    match slot {
        0 => {
            let a = after_return(m);
            let (entry, top) = UNWIND.with(|u| {
                let mut u = u.borrow_mut();
                u.targets[0] = Some(a);
                (u.b_entry, u.b_top)
            });
            let ret = m.level_return_address();
            m.prepare_call(&[], native(arch), top, ret).unwrap();
            m.jump(entry, false);
        }
        1 => {
            let b = after_return(m);
            UNWIND.with(|u| u.borrow_mut().targets[1] = Some(b));
            m.set_return(0);
        }
        2 => {
            let helper = UNWIND.with(|u| u.borrow().helper);
            m.call(helper, &[], native(arch))?;
            m.set_return(1);
        }
        3 => {
            let mut ctx = UNWIND.with(|u| {
                let u = u.borrow();
                u.targets[u.to].clone().expect("a saved target")
            });
            ctx.set(Reg::Ax, 0x55);
            return Err(Stop::Unwind(Box::new(ctx)));
        }
        4 => {
            let entry = m.guest_calls().last().expect("a call in progress").entry_sp;
            let limits = m.stack_limits();
            UNWIND.with(|u| u.borrow_mut().notes.push((entry, limits)));
        }
        _ => m.suspend(),
    }
    Ok(())
}

/// Calls the host-call slot `at` through EDX/RDX (EAX/RAX is left as the slot returns it).
fn call_slot(a: &mut CodeAssembler, arch: Arch, at: u64) {
    match arch {
        Arch::X64 => {
            a.mov(rdx, at).unwrap();
            a.call(rdx).unwrap();
        }
        Arch::X86 => {
            a.mov(edx, at as u32).unwrap();
            a.call(edx).unwrap();
        }
    }
}

#[test]
fn an_unwind_finds_the_frames_of_the_flow_that_is_live_on_its_own_stack() {
    for arch in both() {
        for to in [1, 0] {
            let mut m = machine(arch);
            let slot = |i: u64| i * HOST_CALL_SLOT;
            let stubs = m.add_host_calls("unwind flows", &vec![vec![0xC3]; 6], unwind_flows).unwrap();
            let (switch, save, nest, unwind, note) =
                (stubs, stubs + slot(1), stubs + slot(2), stubs + slot(3), stubs + slot(4));
            // Flow B's stack lies above the stack flow A runs on (the kernel stack, or a
            // lower one): a target in B's frames is above every frame of A's.
            let low = stack(&mut m);
            let high = stack(&mut m);
            let (a_top, b_top) = (low.min(high), low.max(high));
            let helper = load(&mut m, |a| {
                call_slot(a, arch, unwind);
                a.ud2().unwrap();
            });
            // B: note(); if save() == 0 { nest(); ud2 } return eax (0x55 after the unwind).
            let b_entry = load(&mut m, |a| {
                let mut again = a.create_label();
                if arch == Arch::X64 {
                    a.sub(rsp, 0x28).unwrap();
                }
                call_slot(a, arch, note);
                call_slot(a, arch, save);
                a.test(eax, eax).unwrap();
                a.jnz(again).unwrap();
                call_slot(a, arch, nest);
                a.ud2().unwrap();
                a.set_label(&mut again).unwrap();
                call_slot(a, arch, note);
                if arch == Arch::X64 {
                    a.add(rsp, 0x28).unwrap();
                }
                a.ret().unwrap();
            });
            // A: switch() (never comes back here).
            let a_entry = load(&mut m, |a| {
                if arch == Arch::X64 {
                    a.sub(rsp, 0x28).unwrap();
                }
                call_slot(a, arch, switch);
                a.ud2().unwrap();
            });
            UNWIND.with(|u| *u.borrow_mut() = UnwindTest { to, helper, b_entry, b_top, ..Default::default() });
            let exit = m.add_host_calls("exit", &[vec![0xC3]], |m: &mut Machine, _| {
                m.suspend();
                Ok(())
            });
            let exit = exit.unwrap();
            m.prepare_call(&[], native(arch), a_top, exit).unwrap();
            let r = m.run_at(a_entry, false);
            let notes = UNWIND.with(|u| std::mem::take(&mut u.borrow_mut().notes));
            let b_stack = m.mem().region_at(b_top).map(|r| (r.base, r.base + r.size)).unwrap();
            if to == 1 {
                // B's own frame: the run goes on in B, which returns 0x55 to the run's end.
                assert!(matches!(r, Ok(Exit::Returned(0x55))), "{arch:?}: {r:?}");
                assert_eq!(notes.len(), 2, "{arch:?}");
                assert_eq!(notes[0], notes[1], "{arch:?}: B's record throughout");
                assert_eq!(notes[0].1, b_stack, "{arch:?}: the live flow's stack");
                assert!(notes[0].0 < b_top && notes[0].0 > b_stack.0, "{arch:?}");
            } else {
                // A's frame while B is live: not B's to resume (A is not running), so no
                // call owns it.
                assert!(matches!(r, Err(Stop::Unwind(_))), "{arch:?}: {r:?}");
            }
            assert!(m.guest_calls().is_empty(), "{arch:?}");
        }
    }
}

#[test]
fn a_suspended_flow_keeps_its_frames_record_until_it_resumes() {
    for arch in both() {
        let mut m = machine(arch);
        let slot = |i: u64| i * HOST_CALL_SLOT;
        let stubs = m.add_host_calls("unwind flows", &vec![vec![0xC3]; 6], unwind_flows).unwrap();
        let (save, nest, unwind, note, yield_at) =
            (stubs + slot(1), stubs + slot(2), stubs + slot(3), stubs + slot(4), stubs + slot(5));
        let exit = m
            .add_host_calls("exit", &[vec![0xC3]], |m: &mut Machine, _| {
                m.suspend();
                Ok(())
            })
            .unwrap();
        let helper = load(&mut m, |a| {
            call_slot(a, arch, unwind);
            a.ud2().unwrap();
        });
        // C: note(); yield(); note(); if save() == 0 { nest(); ud2 } note(); return eax.
        let c_entry = load(&mut m, |a| {
            let mut again = a.create_label();
            if arch == Arch::X64 {
                a.sub(rsp, 0x28).unwrap();
            }
            call_slot(a, arch, note);
            call_slot(a, arch, yield_at);
            call_slot(a, arch, note);
            call_slot(a, arch, save);
            a.test(eax, eax).unwrap();
            a.jnz(again).unwrap();
            call_slot(a, arch, nest);
            a.ud2().unwrap();
            a.set_label(&mut again).unwrap();
            call_slot(a, arch, note);
            if arch == Arch::X64 {
                a.add(rsp, 0x28).unwrap();
            }
            a.ret().unwrap();
        });
        UNWIND.with(|u| *u.borrow_mut() = UnwindTest { to: 1, helper, ..Default::default() });
        let top = stack(&mut m);
        m.prepare_call(&[], native(arch), top, exit).unwrap();
        let entry_sp = m.reg(Reg::Sp);
        let pc = match m.run_at(c_entry, false).unwrap() {
            Exit::Suspended { pc } => pc,
            other => panic!("{other:?}"),
        };
        assert_eq!(pc, yield_at);
        let c = m.new_context().unwrap();
        assert_eq!(c.call().map(|c| (c.entry_sp, c.returns_to)), Some((entry_sp, exit)), "{arch:?}");
        // Other code runs meanwhile, on the kernel stack.
        assert_eq!(
            run(&mut m, |a| {
                a.mov(eax, 3).unwrap();
                a.ret().unwrap();
            })
            .unwrap(),
            3
        );
        m.restore_context(&c);
        m.set_return(0);
        match m.run_at(pc, true).unwrap() {
            Exit::Suspended { pc } => assert_eq!(pc, exit, "{arch:?}: C returned"),
            other => panic!("{other:?}"),
        }
        assert_eq!(m.reg(Reg::Ax) & 0xFFFF_FFFF, 0x55, "{arch:?}");
        let notes = UNWIND.with(|u| std::mem::take(&mut u.borrow_mut().notes));
        assert_eq!(notes.len(), 3, "{arch:?}");
        assert!(notes.iter().all(|n| n.0 == entry_sp), "{arch:?}: {notes:x?}");
        assert!(m.guest_calls().is_empty(), "{arch:?}");
    }
}
