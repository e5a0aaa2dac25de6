//! Exceptions offered to the extension: resuming after them, what a page fault was doing,
//! running guest code from inside the decision, and unwinding across nested calls.
mod common;
use common::*;

/// An extension that records every exception and resumes according to `policy`.
#[derive(Default)]
struct Catcher {
    seen: Vec<GuestException>,
    policy: Policy,
    /// A guest routine to call (nested) before deciding.
    helper: Option<u64>,
    helper_results: Vec<u64>,
    /// A context saved by the `save` host call, for `unwind` to return to.
    saved: Option<CpuContext>,
}

#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum Policy {
    #[default]
    Skip,
    Fault,
}

impl Extension for Catcher {
    type Event = Never;
    type Stop = Never;

    fn on_exception(m: &mut Machine<Self>, e: &GuestException) -> Resolution<Never> {
        m.ext_mut().seen.push(e.clone());
        if m.ext().seen.len() > 50 {
            return Resolution::Fault; // a test gone wrong must not loop for ever
        }
        let mut ctx = m.capture_context();
        if let Some(helper) = m.ext().helper {
            let r = m.call(helper, &[7], native(m.arch()));
            match r {
                Ok(v) => m.ext_mut().helper_results.push(v),
                Err(stop) => return Resolution::Stop(stop),
            }
        }
        match m.ext().policy {
            Policy::Fault => Resolution::Fault,
            Policy::Skip => {
                ctx.ip = e.pc + e.length;
                if e.access.is_some_and(|a| a.execute) {
                    // A call went nowhere: return to the caller.
                    let ps = m.arch().ptr_size();
                    ctx.ip = m.mem().read_ptr(ctx.sp()).unwrap();
                    ctx.set_sp(ctx.sp() + ps);
                }
                ctx.set(Reg::Ax, ctx.get(Reg::Ax) + 0x100);
                Resolution::Resume(Box::new(ctx))
            }
        }
    }
}

fn catcher(arch: Arch) -> Machine<Catcher> {
    Machine::new(MachineConfig::new(arch), Catcher::default()).expect("machine")
}

fn load_in<X: Extension>(m: &mut Machine<X>, f: impl FnOnce(&mut CodeAssembler)) -> u64 {
    let arch = m.arch();
    let base = m.mem_mut().alloc(RegionKind::Image, "test code", 0x4000, Prot::RX).unwrap();
    let code = assemble(arch, base, f);
    m.mem_mut().write_unchecked(base, &code).unwrap();
    base
}

#[test]
fn a_resumed_exception_continues_after_the_instruction_and_never_escalates() {
    for arch in both() {
        let mut m = catcher(arch);
        // Three faults in a row (#DE, #UD, #BP), each skipped: without the machine clearing the
        // exception in flight, the second would become #DF.
        let at = load_in(&mut m, |a| {
            a.xor(eax, eax).unwrap();
            a.xor(ecx, ecx).unwrap();
            a.div(ecx).unwrap();
            a.ud2().unwrap();
            a.int3().unwrap();
            a.add(eax, 1).unwrap();
            a.ret().unwrap();
        });
        let r = m.call(at, &[], native(arch)).unwrap();
        assert_eq!(r, 0x301, "{arch:?}: each handler added 0x100, the code 1");
        let kinds: Vec<_> = m.ext().seen.iter().map(|e| (e.kind.clone(), e.pc - at, e.length)).collect();
        assert_eq!(
            kinds,
            vec![(FaultKind::DivideError, 4, 2), (FaultKind::InvalidOpcode, 6, 2), (FaultKind::Breakpoint, 8, 1)]
        );
    }
}

#[test]
fn an_unresolved_exception_still_ends_the_run_as_a_fault() {
    for arch in both() {
        let mut m = catcher(arch);
        m.ext_mut().policy = Policy::Fault;
        let at = load_in(&mut m, |a| {
            a.ud2().unwrap();
        });
        match m.call(at, &[], native(arch)) {
            Err(Stop::Fault(f)) => assert_eq!((f.kind, f.pc), (FaultKind::InvalidOpcode, at)),
            other => panic!("{other:?}"),
        }
        assert_eq!(m.ext().seen.len(), 1);
    }
}

#[test]
fn page_faults_say_whether_they_read_wrote_or_fetched() {
    for arch in both() {
        let mut m = catcher(arch);
        let ro = m.mem_mut().alloc(RegionKind::System, "read-only", 0x1000, Prot::R).unwrap();
        let data = m.mem_mut().alloc(RegionKind::System, "data", 0x1000, Prot::RW).unwrap();
        let nowhere = 0x0BAD_0000u64;
        let at = load_in(&mut m, |a| match arch {
            Arch::X64 => {
                a.mov(rcx, nowhere).unwrap();
                a.mov(eax, dword_ptr(rcx)).unwrap(); // read, not present
                a.mov(dword_ptr(rcx), eax).unwrap(); // write, not present
                a.mov(rcx, ro).unwrap();
                a.add(dword_ptr(rcx), 1).unwrap(); // read-modify-write of a read-only page
                a.mov(rcx, nowhere).unwrap();
                a.call(rcx).unwrap(); // fetch from nowhere
                a.mov(rcx, data).unwrap();
                a.call(rcx).unwrap(); // fetch from a no-execute page
                a.ret().unwrap();
            }
            Arch::X86 => {
                a.mov(ecx, nowhere as u32).unwrap();
                a.mov(eax, dword_ptr(ecx)).unwrap();
                a.mov(dword_ptr(ecx), eax).unwrap();
                a.mov(ecx, ro as u32).unwrap();
                a.add(dword_ptr(ecx), 1).unwrap();
                a.mov(ecx, nowhere as u32).unwrap();
                a.call(ecx).unwrap(); // (32-bit paging has no no-execute bit)
                a.ret().unwrap();
            }
        });
        m.ext_mut().policy = Policy::Fault;
        let _ = m.call(at, &[], native(arch));
        // Each is observed one run at a time: skip the faulting instruction and go again.
        m.ext_mut().policy = Policy::Skip;
        m.ext_mut().seen.clear();
        let _ = m.call(at, &[], native(arch));
        let seen: Vec<_> = m.ext().seen.iter().map(|e| (e.kind.clone(), e.access)).collect();
        let pa = |write, execute, present| Some(PageAccess { write, execute, present });
        assert_eq!(
            seen[..4],
            [
                (FaultKind::PageFault { address: nowhere }, pa(false, false, false)),
                (FaultKind::PageFault { address: nowhere }, pa(true, false, false)),
                (FaultKind::PageFault { address: ro }, pa(true, false, true)),
                (FaultKind::PageFault { address: nowhere }, pa(false, true, false)),
            ],
            "{arch:?}"
        );
        if arch == Arch::X64 {
            assert_eq!(seen[4], (FaultKind::PageFault { address: data }, pa(false, true, true)));
        }
    }
}

#[test]
fn the_extension_may_run_guest_code_before_it_decides() {
    for arch in both() {
        let mut m = catcher(arch);
        let helper = load_in(&mut m, |a| match arch {
            Arch::X64 => {
                a.lea(rax, qword_ptr(rcx + 1)).unwrap();
                a.ret().unwrap();
            }
            Arch::X86 => {
                a.mov(eax, dword_ptr(esp + 4)).unwrap();
                a.inc(eax).unwrap();
                a.ret_1(4).unwrap();
            }
        });
        m.ext_mut().helper = Some(helper);
        let at = load_in(&mut m, |a| {
            a.mov(eax, 5).unwrap();
            a.ud2().unwrap();
            a.ud2().unwrap();
            a.ret().unwrap();
        });
        assert_eq!(m.call(at, &[], native(arch)).unwrap(), 0x205);
        assert_eq!(m.ext().helper_results, vec![8, 8]);
    }
}

/// Host calls for the unwind tests: 0 saves the caller's context (as it will be after the
/// call returns), 1 unwinds to it with eax = 0x55, 2 calls the guest routine in `helper`
/// (nested) and passes on how that ended.
fn unwind_calls(m: &mut Machine<Catcher>, slot: u32) -> Result<(), Stop<Never>> {
    let arch = m.arch();
    match slot {
        0 => {
            let mut ctx = m.capture_context();
            let top = ctx.sp();
            ctx.ip = m.mem().read_ptr(top).unwrap();
            ctx.set_sp(top + arch.ptr_size());
            m.ext_mut().saved = Some(ctx);
            m.set_return(0);
            Ok(())
        }
        1 => {
            let mut ctx = m.ext().saved.clone().expect("a saved context");
            ctx.set(Reg::Ax, 0x55);
            Err(Stop::Unwind(Box::new(ctx)))
        }
        _ => {
            let helper = m.ext().helper.expect("a helper");
            m.call(helper, &[], native(arch))?;
            m.set_return(1);
            Ok(())
        }
    }
}

#[test]
fn an_unwind_resumes_the_call_that_owns_the_target_frame() {
    for arch in both() {
        let mut m = catcher(arch);
        let slots = m.add_host_calls("unwind", &[vec![0xC3], vec![0xC3], vec![0xC3]], unwind_calls).unwrap();
        let (save, unwind, nest) = (slots, slots + HOST_CALL_SLOT, slots + 2 * HOST_CALL_SLOT);
        // The nested routine unwinds straight back into its caller's caller.
        let inner = load_in(&mut m, |a| {
            match arch {
                Arch::X64 => {
                    a.mov(rax, unwind).unwrap();
                    a.call(rax).unwrap();
                }
                Arch::X86 => {
                    a.mov(eax, unwind as u32).unwrap();
                    a.call(eax).unwrap();
                }
            }
            a.ud2().unwrap(); // never reached
        });
        m.ext_mut().helper = Some(inner);
        m.ext_mut().policy = Policy::Fault;
        // save() returns 0 the first time; after the unwind it "returns" 0x55 a second time.
        let outer = load_in(&mut m, |a| {
            let mut again = a.create_label();
            match arch {
                Arch::X64 => {
                    a.sub(rsp, 0x28).unwrap();
                    a.mov(rax, save).unwrap();
                    a.call(rax).unwrap();
                    a.test(eax, eax).unwrap();
                    a.jnz(again).unwrap();
                    a.mov(rax, nest).unwrap();
                    a.call(rax).unwrap();
                    a.ud2().unwrap(); // the nested call never returns normally
                    a.set_label(&mut again).unwrap();
                    a.add(rsp, 0x28).unwrap();
                }
                Arch::X86 => {
                    a.mov(eax, save as u32).unwrap();
                    a.call(eax).unwrap();
                    a.test(eax, eax).unwrap();
                    a.jnz(again).unwrap();
                    a.mov(eax, nest as u32).unwrap();
                    a.call(eax).unwrap();
                    a.ud2().unwrap();
                    a.set_label(&mut again).unwrap();
                }
            }
            a.ret().unwrap();
        });
        assert_eq!(m.call(outer, &[], native(arch)).unwrap(), 0x55, "{arch:?}");
        assert!(m.guest_calls().is_empty());
        assert!(m.ext().seen.is_empty(), "no fault on the way: {:?}", m.ext().seen);
        // An unwind to a frame no call owns (above the outermost one) is an error, not a jump.
        let mut stray = m.capture_context();
        stray.set_sp(m.stack_top() + 0x40);
        m.ext_mut().saved = Some(stray);
        let at = load_in(&mut m, |a| {
            match arch {
                Arch::X64 => a.mov(rax, unwind).unwrap(),
                Arch::X86 => a.mov(eax, unwind as u32).unwrap(),
            }
            match arch {
                Arch::X64 => a.call(rax).unwrap(),
                Arch::X86 => a.call(eax).unwrap(),
            }
            a.ret().unwrap();
        });
        assert!(matches!(m.call(at, &[], native(arch)), Err(Stop::Unwind(_))));
    }
}

/// A pointer-sized word of the stack.
fn word(m: &Machine, at: u64) -> u64 {
    match m.arch() {
        Arch::X64 => m.mem().read_u64(at).unwrap(),
        Arch::X86 => m.mem().read_u32(at).unwrap() as u64,
    }
}

fn page_fault_at(pc: u64) -> GuestException {
    GuestException {
        kind: FaultKind::PageFault { address: 0x10 },
        pc,
        length: 2,
        access: Some(PageAccess { write: true, execute: false, present: false }),
        privileged: false,
        reason: String::new(),
    }
}

/// Writes a present interrupt gate for `vector` to `handler` into the table at `idt`.
fn gate(m: &mut Machine, idt: u64, vector: u64, handler: u64, attributes: u8) {
    let size = if m.arch() == Arch::X64 { 16 } else { 8 };
    let mut g = vec![0u8; size];
    g[0..2].copy_from_slice(&(handler as u16).to_le_bytes());
    g[2..4].copy_from_slice(&0x10u16.to_le_bytes());
    g[5] = attributes;
    g[6..8].copy_from_slice(&((handler >> 16) as u16).to_le_bytes());
    if size == 16 {
        g[8..12].copy_from_slice(&((handler >> 32) as u32).to_le_bytes());
    }
    m.mem_mut().write(idt + vector * size as u64, &g).unwrap();
}

#[test]
fn an_idt_of_the_guests_own_takes_exceptions_with_the_processors_frame() {
    for arch in both() {
        let mut m = machine(arch);
        let ps = arch.ptr_size();
        let ctx = m.capture_context();
        let e = page_fault_at(0x1234);
        assert_eq!(m.route_through_idt(&e, &ctx), IdtRoute::Machine, "{arch:?}: the machine's own IDT");

        let idt = m.mem_mut().alloc(RegionKind::Pool, "idt", 0x1000, Prot::RW).unwrap();
        let stack = m.mem_mut().alloc(RegionKind::Stack, "stack", 0x1000, Prot::RW).unwrap();
        m.guest_mut().cpu.idtr = portcullis_emu::cpu::TableRegister { base: idt, limit: 0xFFF };
        let mut ctx = ctx.clone();
        ctx.set_sp(stack + 0x808);
        // No gate for #PF: #DF's gate is missing too: the processor shuts down.
        assert!(matches!(m.route_through_idt(&e, &ctx), IdtRoute::TripleFault { .. }), "{arch:?}");

        // #PF's gate present: the frame and the error code (W, not present) are pushed.
        gate(&mut m, idt, 14, 0x5000, 0x8E);
        let IdtRoute::Delivered(d) = m.route_through_idt(&e, &ctx) else { panic!("{arch:?}: not delivered") };
        assert_eq!((d.vector, d.error_code, d.handler, d.context.ip), (14, Some(2), 0x5000, 0x5000));
        assert_eq!(m.guest().cpu.cr2, 0x10);
        let top = d.context.sp();
        assert_eq!(word(&m, top), 2, "error code");
        assert_eq!(word(&m, top + ps), 0x1234, "the faulting instruction");
        assert_eq!(word(&m, top + 2 * ps), ctx.segments[0] as u64, "cs");
        if arch == Arch::X64 {
            assert_eq!(top, stack + 0x800 - 6 * 8, "a 16-byte aligned frame");
            assert_eq!(word(&m, top + 4 * ps), stack + 0x808, "the interrupted rsp");
            assert_eq!(word(&m, top + 5 * ps), ctx.segments[5] as u64, "ss");
        } else {
            assert_eq!(top, stack + 0x808 - 4 * 4);
        }

        // An int through a gate that is not present is #GP with the IDT error code, at the
        // int instruction; with no #GP gate, #DF (error code 0).
        let int = GuestException { kind: FaultKind::SoftwareInterrupt { vector: 0x41 }, length: 2, access: None, ..e };
        gate(&mut m, idt, 0x41, 0x6000, 0x0E);
        gate(&mut m, idt, 13, 0x7000, 0x8F);
        let IdtRoute::Delivered(d) = m.route_through_idt(&int, &ctx) else { panic!("{arch:?}") };
        assert_eq!((d.vector, d.error_code, d.handler), (13, Some(0x41 << 3 | 2), 0x7000));
        assert_eq!(word(&m, d.context.sp() + ps), 0x1234, "{arch:?}");
        gate(&mut m, idt, 13, 0x7000, 0x0F);
        gate(&mut m, idt, 8, 0x8000, 0x8E);
        let IdtRoute::Delivered(d) = m.route_through_idt(&int, &ctx) else { panic!("{arch:?}") };
        assert_eq!((d.vector, d.error_code, d.handler), (8, Some(0), 0x8000));
    }
}
