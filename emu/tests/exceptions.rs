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
