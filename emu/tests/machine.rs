//! The machine itself: set-up, calls and conventions, host calls, memory, descriptor tables.
mod common;
use common::*;

#[test]
fn calls_return_values_in_both_modes() {
    let mut m = machine(Arch::X64);
    let f = load(&mut m, |a| {
        a.lea(rax, qword_ptr(rcx + 1)).unwrap();
        a.ret().unwrap();
    });
    assert_eq!(m.call(f, &[41], CallConv::Win64).unwrap(), 42);

    let mut m = machine(Arch::X86);
    let f = load(&mut m, |a| {
        a.mov(eax, dword_ptr(esp + 4)).unwrap();
        a.inc(eax).unwrap();
        a.ret_1(4).unwrap();
    });
    assert_eq!(m.call(f, &[41], CallConv::Stdcall).unwrap(), 42);
    // Calls repeat on the same machine.
    assert_eq!(m.call(f, &[1], CallConv::Stdcall).unwrap(), 2);
}

#[test]
fn win64_passes_four_registers_then_the_stack() {
    let mut m = machine(Arch::X64);
    // rax = a + 2b + 3c + 4d + 5e + 6f
    let f = load(&mut m, |a| {
        a.mov(rax, rcx).unwrap();
        a.lea(rax, qword_ptr(rax + rdx * 2)).unwrap();
        a.imul_3(r8, r8, 3).unwrap();
        a.add(rax, r8).unwrap();
        a.lea(rax, qword_ptr(rax + r9 * 4)).unwrap();
        a.mov(r10, qword_ptr(rsp + 0x28)).unwrap();
        a.imul_3(r10, r10, 5).unwrap();
        a.add(rax, r10).unwrap();
        a.mov(r10, qword_ptr(rsp + 0x30)).unwrap();
        a.imul_3(r10, r10, 6).unwrap();
        a.add(rax, r10).unwrap();
        // The stack is 16-byte aligned at the call (RSP+8 at entry).
        a.lea(r11, qword_ptr(rsp + 8)).unwrap();
        a.and(r11, 0xF).unwrap();
        a.add(rax, r11).unwrap();
        a.ret().unwrap();
    });
    assert_eq!(m.call(f, &[1, 1, 1, 1, 1, 1], CallConv::Win64).unwrap(), 21);
}

#[test]
fn x86_stdcall_cdecl_and_fastcall() {
    let mut m = machine(Arch::X86);
    // stdcall f(a, b, c) = a - b + 10c; pops 12 bytes
    let std = load(&mut m, |a| {
        a.mov(eax, dword_ptr(esp + 4)).unwrap();
        a.sub(eax, dword_ptr(esp + 8)).unwrap();
        a.mov(ecx, dword_ptr(esp + 12)).unwrap();
        a.imul_3(ecx, ecx, 10).unwrap();
        a.add(eax, ecx).unwrap();
        a.ret_1(12).unwrap();
    });
    assert_eq!(m.call(std, &[9, 4, 2], CallConv::Stdcall).unwrap(), 25);
    let cdecl = load(&mut m, |a| {
        a.mov(eax, dword_ptr(esp + 4)).unwrap();
        a.sub(eax, dword_ptr(esp + 8)).unwrap();
        a.ret().unwrap();
    });
    assert_eq!(m.call(cdecl, &[9, 4], CallConv::Cdecl).unwrap(), 5);
    // fastcall f(a, b, c, d) = a + 2b + 3c + 4d; a in ecx, b in edx
    let fast = load(&mut m, |a| {
        a.lea(eax, dword_ptr(ecx + edx * 2)).unwrap();
        a.mov(ecx, dword_ptr(esp + 4)).unwrap();
        a.imul_3(ecx, ecx, 3).unwrap();
        a.add(eax, ecx).unwrap();
        a.mov(ecx, dword_ptr(esp + 8)).unwrap();
        a.lea(eax, dword_ptr(eax + ecx * 4)).unwrap();
        a.ret_1(8).unwrap();
    });
    assert_eq!(m.call(fast, &[1, 1, 1, 1], CallConv::Fastcall).unwrap(), 10);
}

/// A host call that reads (callback, value), calls the guest callback with 2*value and
/// returns its result plus one: host -> guest -> host -> guest.
fn twice_then_callback(m: &mut Machine, _slot: u32) -> Result<(), Stop<Never>> {
    let conv = native(m.arch());
    let cb = m.arg(conv, 0).unwrap();
    let v = m.arg(conv, 1).unwrap();
    let r = m.call(cb, &[v * 2], conv)?;
    m.set_return(r + 1);
    Ok(())
}

#[test]
fn host_calls_can_call_back_into_the_guest() {
    for arch in both() {
        let mut m = machine(arch);
        let conv = native(arch);
        let stub = m.add_host_calls("test stubs", &[conv.return_code(2)], twice_then_callback).unwrap();
        // callback(x) = x + 100
        let cb = load(&mut m, |a| match arch {
            Arch::X64 => {
                a.lea(rax, qword_ptr(rcx + 100)).unwrap();
                a.ret().unwrap();
            }
            Arch::X86 => {
                a.mov(eax, dword_ptr(esp + 4)).unwrap();
                a.add(eax, 100).unwrap();
                a.ret_1(4).unwrap();
            }
        });
        // main(v) = stub(cb, v) * 3, keeping a callee-saved register across the host call.
        let main = load(&mut m, |a| match arch {
            Arch::X64 => {
                a.push(rbx).unwrap();
                a.sub(rsp, 0x20).unwrap();
                a.mov(rbx, 3u64).unwrap();
                a.mov(rdx, rcx).unwrap();
                a.mov(rcx, cb).unwrap();
                a.mov(rax, stub).unwrap();
                a.call(rax).unwrap();
                a.imul_2(rax, rbx).unwrap();
                a.add(rsp, 0x20).unwrap();
                a.pop(rbx).unwrap();
                a.ret().unwrap();
            }
            Arch::X86 => {
                a.push(ebx).unwrap();
                a.mov(ebx, 3).unwrap();
                a.push(dword_ptr(esp + 8)).unwrap();
                a.push(cb as u32).unwrap();
                a.mov(eax, stub as u32).unwrap();
                a.call(eax).unwrap();
                a.imul_2(eax, ebx).unwrap();
                a.pop(ebx).unwrap();
                a.ret_1(4).unwrap();
            }
        });
        // (2*5 + 100 + 1) * 3
        assert_eq!(m.call(main, &[5], conv).unwrap(), 333, "{arch:?}");
        assert_eq!(m.guest().trace.counters.host_calls, 1);
    }
}

fn recurse(m: &mut Machine, _slot: u32) -> Result<(), Stop<Never>> {
    let conv = native(m.arch());
    let this = m.arg(conv, 0).unwrap();
    // Call the guest function that calls this host call again, forever.
    m.call(this, &[this], conv)?;
    Ok(())
}

#[test]
fn nesting_is_bounded() {
    let mut m = machine(Arch::X64);
    let stub = m.add_host_calls("recursion", &[CallConv::Win64.return_code(1)], recurse).unwrap();
    let f = load(&mut m, |a| {
        a.sub(rsp, 0x28).unwrap();
        a.mov(rax, stub).unwrap();
        a.call(rax).unwrap();
        a.add(rsp, 0x28).unwrap();
        a.ret().unwrap();
    });
    match m.call(f, &[f], CallConv::Win64) {
        Err(Stop::Limit(LimitHit::CallDepth { limit: 32 })) => {}
        other => panic!("{other:?}"),
    }
    // The machine is usable afterwards.
    let g = load(&mut m, |a| {
        a.mov(eax, 7).unwrap();
        a.ret().unwrap();
    });
    assert_eq!(m.call(g, &[], CallConv::Win64).unwrap(), 7);
}

#[test]
fn kpcr_is_reachable_through_gs_and_fs() {
    let mut m = machine(Arch::X64);
    let kpcr = m.mem().layout().kpcr;
    m.mem_mut().write_u64(kpcr + 0x18, 0x1122_3344_5566_7788).unwrap();
    let r = run(&mut m, |a| {
        a.mov(rax, qword_ptr(0x18).gs()).unwrap();
        a.ret().unwrap();
    });
    assert_eq!(r.unwrap(), 0x1122_3344_5566_7788);

    let mut m = machine(Arch::X86);
    let kpcr = m.mem().layout().kpcr;
    assert_eq!(kpcr, 0xFFDF_F000);
    m.mem_mut().write_u32(kpcr + 0x124, 0xCAFE_F00D).unwrap();
    let r = run(&mut m, |a| {
        a.mov(eax, dword_ptr(0x124).fs()).unwrap();
        a.ret().unwrap();
    });
    assert_eq!(r.unwrap(), 0xCAFE_F00D);
}

#[test]
fn sgdt_sidt_and_str_find_the_real_tables() {
    for arch in both() {
        let mut m = machine(arch);
        let scratch = m.mem_mut().alloc(RegionKind::Pool, "scratch", 0x1000, Prot::RW).unwrap();
        let r = run(&mut m, |a| match arch {
            Arch::X64 => {
                a.mov(rcx, scratch).unwrap();
                a.sgdt(qword_ptr(rcx)).unwrap();
                a.sidt(qword_ptr(rcx + 16)).unwrap();
                a.str(ax).unwrap();
                a.movzx(eax, ax).unwrap();
                a.ret().unwrap();
            }
            Arch::X86 => {
                a.mov(ecx, scratch as u32).unwrap();
                a.sgdt(dword_ptr(ecx)).unwrap();
                a.sidt(dword_ptr(ecx + 16)).unwrap();
                a.str(ax).unwrap();
                a.movzx(eax, ax).unwrap();
                a.ret().unwrap();
            }
        })
        .unwrap();
        let gdt = m.mem().regions().find(|r| r.name == "gdt").unwrap().base;
        let idt = m.mem().regions().find(|r| r.name == "idt").unwrap().base;
        assert_eq!(m.mem().read_ptr(scratch + 2).unwrap(), gdt);
        assert_eq!(m.mem().read_ptr(scratch + 18).unwrap(), idt);
        assert_eq!(r, if arch == Arch::X64 { 0x40 } else { 0x28 });
        // The TSS the task register names holds an I/O map offset of 0x68, all denied.
        let tss = m.tss();
        assert_eq!(m.mem().read_u16(tss + 0x66).unwrap(), 0x68);
        assert!(m.io_permission_map().iter().all(|&b| b == 0xFF));
    }
}

#[test]
fn kuser_shared_data_sits_at_the_fixed_address() {
    for (arch, va) in [(Arch::X64, 0xFFFF_F780_0000_0000u64), (Arch::X86, 0xFFDF_0000)] {
        let mut m = machine(arch);
        assert_eq!(m.mem().layout().shared_user_data, va);
        m.mem_mut().write_u32(va + 0x26C, 10).unwrap(); // NtMajorVersion
        let r = run(&mut m, |a| match arch {
            Arch::X64 => {
                a.mov(rcx, va).unwrap();
                a.mov(eax, dword_ptr(rcx + 0x26C)).unwrap();
                a.ret().unwrap();
            }
            Arch::X86 => {
                a.mov(eax, dword_ptr(va as u32 + 0x26C)).unwrap();
                a.ret().unwrap();
            }
        });
        assert_eq!(r.unwrap(), 10);
    }
}

#[test]
fn named_regions_are_listed() {
    let m = machine(Arch::X64);
    let kinds: Vec<RegionKind> = m.mem().regions().map(|r| r.kind).collect();
    for k in [RegionKind::System, RegionKind::Stack, RegionKind::Kpcr, RegionKind::SharedData] {
        assert!(kinds.contains(&k), "{k:?} missing");
    }
    assert!(m.mem().region_at(m.stack_top()).is_some_and(|r| r.kind == RegionKind::Stack));
}

#[test]
fn bad_accesses_are_page_faults_with_the_address() {
    for arch in both() {
        let mut m = machine(arch);
        let bad: u64 = if arch == Arch::X64 { 0xFFFF_F8DD_0000_0010 } else { 0xC000_0010 };
        let f = expect_fault(run(&mut m, |a| match arch {
            Arch::X64 => {
                a.mov(rcx, bad).unwrap();
                a.mov(eax, dword_ptr(rcx)).unwrap();
                a.ret().unwrap();
            }
            Arch::X86 => {
                a.mov(ecx, bad as u32).unwrap();
                a.mov(eax, dword_ptr(ecx)).unwrap();
                a.ret().unwrap();
            }
        }));
        assert_eq!(f.kind, FaultKind::PageFault { address: bad }, "{arch:?}");
        assert!(f.instruction.as_deref().unwrap().starts_with("mov eax"), "{:?}", f.instruction);
        assert!(f.location.as_deref().unwrap().starts_with("test code+"));
        assert_eq!(m.guest().cpu.cr2, bad);
        // The machine keeps working after a fault.
        assert_eq!(
            run(&mut m, |a| {
                a.mov(eax, 5).unwrap();
                a.ret().unwrap();
            })
            .unwrap(),
            5
        );
    }
}

#[test]
fn reserved_address_space_is_left_unmapped_and_never_handed_out_again() {
    for arch in both() {
        let mut m = machine(arch);
        let base = m.mem_mut().reserve(RegionKind::User, 0x3000, 0x1_0000).unwrap();
        assert_eq!(base % 0x1_0000, 0, "{arch:?}: aligned as asked");
        assert!(m.mem().read_u32(base).is_err(), "nothing mapped");
        // The owner maps inside; the arena's next region comes after the span and its guard.
        m.mem_mut().map_fixed(RegionKind::User, "inside", base + 0x1000, 0x1000, Prot::RW).unwrap();
        let next = m.mem_mut().alloc(RegionKind::User, "next", 0x1000, Prot::RW).unwrap();
        assert!(next >= base + 0x4000, "{arch:?}: {next:#x}");
        assert!(m.mem_mut().reserve(RegionKind::User, 0x1000, 0x3000).is_err(), "not a power of two");
        assert!(m.mem_mut().reserve(RegionKind::User, u64::MAX - 0xFFF, 0x1000).is_err());
        let (lo, hi) = m.mem().arena_span(RegionKind::User).unwrap();
        assert!(lo <= base && base < hi);
    }
}

#[test]
fn page_protections_hold() {
    for arch in both() {
        let mut m = machine(arch);
        let ro = m.mem_mut().alloc(RegionKind::Pool, "read-only", 0x1000, Prot::R).unwrap();
        let f = expect_fault(run(&mut m, |a| match arch {
            Arch::X64 => {
                a.mov(rcx, ro).unwrap();
                a.mov(dword_ptr(rcx), 1).unwrap();
                a.ret().unwrap();
            }
            Arch::X86 => {
                a.mov(dword_ptr(ro as u32), 1).unwrap();
                a.ret().unwrap();
            }
        }));
        assert_eq!(f.kind, FaultKind::PageFault { address: ro });
        // Host writes honour it too; the loader's unchecked write does not.
        assert_eq!(m.mem_mut().write_u32(ro, 1), Err(MemError::ReadOnly { addr: ro }));
        m.mem_mut().write_unchecked(ro, &[1]).unwrap();
    }
    // x64 data pages do not execute.
    let mut m = machine(Arch::X64);
    let data = m.mem_mut().alloc(RegionKind::Pool, "data", 0x1000, Prot::RW).unwrap();
    m.mem_mut().write(data, &[0xC3]).unwrap();
    let f = expect_fault(m.call(data, &[], CallConv::Win64));
    assert_eq!(f.kind, FaultKind::PageFault { address: data });
    assert_eq!(f.pc, data);
}

#[test]
fn sse_instructions_run() {
    for arch in both() {
        let mut m = machine(arch);
        let buf = m.mem_mut().alloc(RegionKind::Pool, "vectors", 0x1000, Prot::RW).unwrap();
        let words: Vec<u8> = (1u32..=8).flat_map(|v| v.to_le_bytes()).collect();
        m.mem_mut().write(buf, &words).unwrap();
        let r = run(&mut m, |a| {
            match arch {
                Arch::X64 => a.mov(rcx, buf).unwrap(),
                Arch::X86 => a.mov(ecx, buf as u32).unwrap(),
            }
            let p = |off: i32| match arch {
                Arch::X64 => xmmword_ptr(rcx + off),
                Arch::X86 => xmmword_ptr(ecx + off),
            };
            a.movdqu(xmm0, p(0)).unwrap();
            a.movdqu(xmm1, p(16)).unwrap();
            a.paddd(xmm0, xmm1).unwrap();
            a.pshufd(xmm1, xmm0, 0xFF).unwrap();
            a.movd(eax, xmm1).unwrap();
            a.ret().unwrap();
        });
        assert_eq!(r.unwrap(), 4 + 8, "{arch:?}");
    }
}

#[test]
fn memory_reads_and_writes_span_pages() {
    let mut m = machine(Arch::X86);
    let b = m.mem_mut().alloc(RegionKind::Pool, "two pages", 0x2000, Prot::RW).unwrap();
    let data: Vec<u8> = (0..64).collect();
    m.mem_mut().write(b + 0xFE0, &data).unwrap();
    let mut back = vec![0u8; 64];
    m.mem().read(b + 0xFE0, &mut back).unwrap();
    assert_eq!(back, data);
    // A write that would run into the guard page changes nothing.
    assert!(m.mem_mut().write(b + 0x1FF0, &[7u8; 32]).is_err());
    assert_eq!(m.mem().read_u8(b + 0x1FF0).unwrap(), 0);
    // Freed regions unmap.
    m.mem_mut().free(b).unwrap();
    assert!(m.mem().read_u8(b).is_err());
}

/// A host call that maps a data region and unmaps it again while the guest is running.
fn map_and_unmap(m: &mut Machine, _slot: u32) -> Result<(), Stop<Never>> {
    let base = m.mem_mut().alloc(RegionKind::Pool, "scratch", 0x3000, Prot::RW).unwrap();
    m.mem_mut().write_u32(base + 0x1000, 0x1234).unwrap();
    m.mem_mut().free(base).unwrap();
    m.set_return(base);
    Ok(())
}

#[test]
fn unmapping_while_the_guest_runs_leaves_no_fault_behind() {
    // Asking Unicorn to discard code at an unmapped address left a page fault pending in the
    // CPU, delivered at the next stop (docs/architecture.md, quirk 9).
    for arch in both() {
        let mut m = machine(arch);
        let conv = native(arch);
        let stub = m.add_host_calls("mapper", &[conv.return_code(0)], map_and_unmap).unwrap();
        let f = load(&mut m, |a| match arch {
            Arch::X64 => {
                a.sub(rsp, 0x28).unwrap();
                a.mov(rax, stub).unwrap();
                a.call(rax).unwrap();
                a.add(rsp, 0x28).unwrap();
                a.ret().unwrap();
            }
            Arch::X86 => {
                a.mov(eax, stub as u32).unwrap();
                a.call(eax).unwrap();
                a.ret().unwrap();
            }
        });
        for _ in 0..3 {
            let base = m.call(f, &[], conv).unwrap();
            assert!(m.mem().translate(base).is_none(), "{arch:?}");
        }
    }
}

/// A host call whose guest callback "returns" straight to the top-level return address.
fn call_a_hijacker(m: &mut Machine, _slot: u32) -> Result<(), Stop<Never>> {
    let conv = native(m.arch());
    let cb = m.arg(conv, 0).unwrap();
    let r = m.call(cb, &[m.return_address()], conv)?;
    m.set_return(r);
    Ok(())
}

#[test]
fn returning_to_the_host_from_the_wrong_call_is_a_fault() {
    for arch in both() {
        let mut m = machine(arch);
        let conv = native(arch);
        let stub = m.add_host_calls("hijack", &[conv.return_code(1)], call_a_hijacker).unwrap();
        // The callback jumps to its argument: the top-level return address, from a nested call.
        let cb = load(&mut m, |a| match arch {
            Arch::X64 => a.jmp(rcx).unwrap(),
            Arch::X86 => {
                a.mov(eax, dword_ptr(esp + 4)).unwrap();
                a.jmp(eax).unwrap();
            }
        });
        let f = load(&mut m, |a| match arch {
            Arch::X64 => {
                a.sub(rsp, 0x28).unwrap();
                a.mov(rcx, cb).unwrap();
                a.mov(rax, stub).unwrap();
                a.call(rax).unwrap();
                a.add(rsp, 0x28).unwrap();
                a.ret().unwrap();
            }
            Arch::X86 => {
                a.push(cb as u32).unwrap();
                a.mov(eax, stub as u32).unwrap();
                a.call(eax).unwrap();
                a.ret().unwrap();
            }
        });
        let fault = expect_fault(m.call(f, &[], conv));
        assert_eq!(fault.kind, FaultKind::GeneralProtection, "{arch:?}");
        assert_eq!(fault.pc, m.return_address(), "{arch:?}");
        assert!(fault.reason.contains("wrong call"), "{arch:?}: {}", fault.reason);
        // The machine is usable afterwards.
        let g = load(&mut m, |a| {
            a.mov(eax, 7).unwrap();
            a.ret().unwrap();
        });
        assert_eq!(m.call(g, &[], conv).unwrap(), 7, "{arch:?}");
    }
}

/// A host call that calls its guest argument, nested.
fn call_nested(m: &mut Machine, _slot: u32) -> Result<(), Stop<Never>> {
    let conv = native(m.arch());
    let cb = m.arg(conv, 0).unwrap();
    let r = m.call(cb, &[], conv)?;
    m.set_return(r);
    Ok(())
}

#[test]
fn running_the_return_page_past_its_return_address_is_a_fault() {
    for (arch, past) in [(Arch::X86, 1), (Arch::X64, 1), (Arch::X86, 2), (Arch::X64, 2)] {
        let mut m = machine(arch);
        let conv = native(arch);
        let stub = m.add_host_calls("nest", &[conv.return_code(1)], call_nested).unwrap();
        // The nested callback jumps one or two bytes past its own return address.
        let cb = load(&mut m, |a| match arch {
            Arch::X64 => {
                a.mov(rax, qword_ptr(rsp)).unwrap();
                a.add(rax, past).unwrap();
                a.jmp(rax).unwrap();
            }
            Arch::X86 => {
                a.mov(eax, dword_ptr(esp)).unwrap();
                a.add(eax, past).unwrap();
                a.jmp(eax).unwrap();
            }
        });
        let f = load(&mut m, |a| match arch {
            Arch::X64 => {
                a.sub(rsp, 0x28).unwrap();
                a.mov(rcx, cb).unwrap();
                a.mov(rax, stub).unwrap();
                a.call(rax).unwrap();
                a.add(rsp, 0x28).unwrap();
                a.ret().unwrap();
            }
            Arch::X86 => {
                a.push(cb as u32).unwrap();
                a.mov(eax, stub as u32).unwrap();
                a.call(eax).unwrap();
                a.ret().unwrap();
            }
        });
        let fault = expect_fault(m.call(f, &[], conv));
        assert_eq!(fault.kind, FaultKind::GeneralProtection, "{arch:?}");
        assert!(fault.reason.contains("return-to-host page"), "{arch:?}: {}", fault.reason);
        assert_eq!(m.mem().read_partial(fault.pc - past as u64, 1), [0xF4], "{arch:?}: past the return address");
        // The machine is usable afterwards, nested calls included.
        let g = load(&mut m, |a| {
            a.mov(eax, 7).unwrap();
            a.ret().unwrap();
        });
        assert_eq!(m.call(g, &[], conv).unwrap(), 7, "{arch:?}");
    }
}

#[test]
fn code_larger_than_the_translation_buffer_still_runs() {
    // 120k distinct instructions translate to several MiB of host code, far more than the
    // 1 MiB buffer: Unicorn drops its translations when the buffer fills, mid-run.
    for arch in both() {
        let mut cfg = MachineConfig::new(arch);
        cfg.code_buffer_bytes = 1 << 20;
        let mut m = machine_with(cfg);
        let n = 120_000u32;
        let base = m.mem_mut().alloc(RegionKind::Image, "long code", n as u64 * 6 + 16, Prot::RX).unwrap();
        let code = assemble(arch, base, |a| {
            a.xor(eax, eax).unwrap();
            for i in 0..n {
                // Alternate forms so no two neighbouring instructions fold together.
                if i % 2 == 0 {
                    a.add(eax, 3).unwrap();
                } else {
                    a.sub(eax, 1).unwrap();
                }
            }
            a.ret().unwrap();
        });
        m.mem_mut().write_unchecked(base, &code).unwrap();
        for _ in 0..2 {
            assert_eq!(m.call(base, &[], native(arch)).unwrap(), n as u64, "{arch:?}");
        }
    }
}
