//! Privileged instructions: each is trapped, applied to virtual state, and traced.
mod common;
use common::*;
use portcullis_emu::cpu::msr;

fn privileged_ops(m: &Machine) -> Vec<Privileged> {
    m.guest().trace.privileged().map(|p| p.action.clone()).collect()
}

#[test]
fn rdmsr_reads_the_virtual_msr_file() {
    for arch in both() {
        let mut m = machine(arch);
        let r = run(&mut m, |a| {
            a.mov(ecx, msr::IA32_APIC_BASE).unwrap();
            a.rdmsr().unwrap();
            a.ret().unwrap();
        });
        assert_eq!(r.unwrap(), 0xFEE0_0900);
        let ev = m.guest().trace.privileged().next().cloned().unwrap();
        assert_eq!(ev.text, "rdmsr");
        assert_eq!(ev.action, Privileged::Rdmsr { msr: 0x1B, value: Some(0xFEE0_0900) });
    }
}

#[test]
fn wrmsr_then_rdmsr_round_trips_and_edx_eax_split() {
    let mut m = machine(Arch::X64);
    let r = run(&mut m, |a| {
        a.mov(ecx, msr::IA32_PAT).unwrap();
        a.mov(eax, 0x0606_0606u32).unwrap();
        a.mov(edx, 0x0007_0406u32).unwrap();
        a.wrmsr().unwrap();
        a.xor(eax, eax).unwrap();
        a.xor(edx, edx).unwrap();
        a.rdmsr().unwrap();
        a.shl(rdx, 32).unwrap();
        a.or(rax, rdx).unwrap();
        a.ret().unwrap();
    });
    assert_eq!(r.unwrap(), 0x0007_0406_0606_0606);
    assert_eq!(m.guest().cpu.msrs.read(msr::IA32_PAT), Ok(0x0007_0406_0606_0606));
    assert_eq!(privileged_ops(&m)[0], Privileged::Wrmsr { msr: 0x277, value: 0x0007_0406_0606_0606, accepted: true });
}

#[test]
fn unknown_msrs_raise_gp_in_the_guest() {
    for arch in both() {
        let mut m = machine(arch);
        let at = load(&mut m, |a| {
            a.mov(ecx, 0xDEAD_0001u32).unwrap();
            a.rdmsr().unwrap();
            a.ret().unwrap();
        });
        let f = expect_fault(m.call(at, &[], native(arch)));
        assert_eq!(f.kind, FaultKind::GeneralProtection);
        assert_eq!(f.pc, at + 5);
        assert_eq!(f.instruction.as_deref(), Some("rdmsr"));
        assert!(f.reason.contains("0xdead0001"), "{}", f.reason);
        assert_eq!(privileged_ops(&m), vec![Privileged::Rdmsr { msr: 0xDEAD_0001, value: None }]);
        // A write to a read-only MSR faults too.
        let f = expect_fault(run(&mut m, |a| {
            a.mov(ecx, msr::IA32_MTRRCAP).unwrap();
            a.wrmsr().unwrap();
            a.ret().unwrap();
        }));
        assert!(f.reason.contains("read-only"));
    }
}

#[test]
fn msr_defaults_are_plausible() {
    let m = machine(Arch::X64);
    let f = &m.guest().cpu.msrs;
    assert_eq!(f.read(msr::IA32_EFER), Ok(0xD01));
    assert_eq!(f.read(msr::MSR_TEMPERATURE_TARGET), Ok(100 << 16));
    assert!(f.read(msr::IA32_LSTAR).unwrap() >= 0xFFFF_F800_0000_0000);
    assert_eq!(f.read(msr::IA32_MTRR_DEF_TYPE), Ok(0xC06));
}

#[test]
fn microcode_revision_is_read_the_way_the_sdm_says() {
    // Write 0 to IA32_BIOS_SIGN_ID, execute CPUID(1), read the revision from EDX; and the
    // platform ID microcode loaders match updates against.
    for arch in both() {
        let mut m = machine(arch);
        let buf = m.mem_mut().alloc(RegionKind::Pool, "out", 0x1000, Prot::RW).unwrap();
        run(&mut m, |a| {
            if arch == Arch::X64 {
                a.push(rbx).unwrap();
                a.mov(r8, buf).unwrap();
            } else {
                a.push(ebx).unwrap();
                a.push(esi).unwrap();
                a.mov(esi, buf as u32).unwrap();
            }
            let at = |o: i32| if arch == Arch::X64 { dword_ptr(r8 + o) } else { dword_ptr(esi + o) };
            a.mov(ecx, msr::IA32_BIOS_SIGN_ID).unwrap();
            a.xor(eax, eax).unwrap();
            a.xor(edx, edx).unwrap();
            a.wrmsr().unwrap();
            a.rdmsr().unwrap();
            a.mov(at(0), edx).unwrap(); // 0: nothing deposited yet
            a.mov(eax, 1u32).unwrap();
            a.cpuid().unwrap();
            a.mov(ecx, msr::IA32_BIOS_SIGN_ID).unwrap();
            a.rdmsr().unwrap();
            a.mov(at(4), edx).unwrap();
            a.mov(ecx, msr::IA32_PLATFORM_ID).unwrap();
            a.rdmsr().unwrap();
            a.mov(at(8), edx).unwrap();
            if arch == Arch::X64 {
                a.pop(rbx).unwrap();
            } else {
                a.pop(esi).unwrap();
                a.pop(ebx).unwrap();
            }
            a.ret().unwrap();
        })
        .unwrap();
        let mut v = [0u8; 12];
        m.mem().read(buf, &mut v).unwrap();
        let word = |i: usize| u32::from_le_bytes(v[i..i + 4].try_into().unwrap());
        assert_eq!((word(0), word(4)), (0, msr::MICROCODE_REVISION), "{arch:?}");
        assert_eq!((word(8) >> 18) & 7, 1, "platform ID in bits 52:50");
        assert!(privileged_ops(&m).contains(&Privileged::Wrmsr { msr: 0x8B, value: 0, accepted: true }));
    }
}

#[test]
fn a_microcode_update_that_does_not_load_leaves_the_revision() {
    // Writing the update trigger with a (bogus) update's address does not fault: nothing
    // loads, and the revision read back the SDM's way is unchanged. The trigger is write-only.
    let mut m = machine(Arch::X64);
    let update = m.mem_mut().alloc(RegionKind::Pool, "update", 0x1000, Prot::RW).unwrap();
    let r = run(&mut m, |a| {
        a.push(rbx).unwrap();
        a.mov(ecx, msr::IA32_BIOS_UPDT_TRIG).unwrap();
        a.mov(rax, update).unwrap();
        a.mov(rdx, rax).unwrap();
        a.shr(rdx, 32).unwrap();
        a.wrmsr().unwrap();
        a.mov(ecx, msr::IA32_BIOS_SIGN_ID).unwrap();
        a.xor(eax, eax).unwrap();
        a.xor(edx, edx).unwrap();
        a.wrmsr().unwrap();
        a.mov(eax, 1u32).unwrap();
        a.cpuid().unwrap();
        a.mov(ecx, msr::IA32_BIOS_SIGN_ID).unwrap();
        a.rdmsr().unwrap();
        a.mov(eax, edx).unwrap();
        a.pop(rbx).unwrap();
        a.ret().unwrap();
    });
    assert_eq!(r.unwrap() as u32, msr::MICROCODE_REVISION);
    assert_eq!(privileged_ops(&m)[0], Privileged::Wrmsr { msr: 0x79, value: update, accepted: true });
    let f = expect_fault(run(&mut m, |a| {
        a.mov(ecx, msr::IA32_BIOS_UPDT_TRIG).unwrap();
        a.rdmsr().unwrap();
        a.ret().unwrap();
    }));
    assert!(f.reason.contains("write-only"), "{}", f.reason);
}

#[test]
fn consecutive_traps_never_escalate_to_double_faults() {
    for arch in both() {
        let mut m = machine(arch);
        let r = run(&mut m, |a| {
            for _ in 0..20 {
                a.mov(ecx, msr::IA32_APIC_BASE).unwrap();
                a.rdmsr().unwrap();
                a.cli().unwrap();
                a.sti().unwrap();
            }
            a.mov(eax, 9).unwrap();
            a.ret().unwrap();
        });
        assert_eq!(r.unwrap(), 9);
        assert_eq!(m.guest().trace.counters.privileged, 60);
    }
}

#[test]
fn cli_sti_and_pushf_see_the_virtual_interrupt_flag() {
    for arch in both() {
        let mut m = machine(arch);
        // eax = IF after cli (bit 0) | IF after sti (bit 1)
        let r = run(&mut m, |a| {
            a.cli().unwrap();
            match arch {
                Arch::X64 => {
                    a.pushfq().unwrap();
                    a.pop(rcx).unwrap();
                }
                Arch::X86 => {
                    a.pushfd().unwrap();
                    a.pop(ecx).unwrap();
                }
            }
            a.shr(ecx, 9).unwrap();
            a.and(ecx, 1).unwrap();
            a.mov(eax, ecx).unwrap();
            a.sti().unwrap();
            match arch {
                Arch::X64 => {
                    a.pushfq().unwrap();
                    a.pop(rcx).unwrap();
                }
                Arch::X86 => {
                    a.pushfd().unwrap();
                    a.pop(ecx).unwrap();
                }
            }
            a.shr(ecx, 8).unwrap();
            a.and(ecx, 2).unwrap();
            a.or(eax, ecx).unwrap();
            a.ret().unwrap();
        });
        assert_eq!(r.unwrap(), 2, "{arch:?}");
        assert_eq!(privileged_ops(&m), vec![Privileged::Cli, Privileged::Sti]);
        assert!(m.guest().cpu.interrupts_enabled);
    }
}

#[test]
fn popf_restores_the_interrupt_flag_it_saved() {
    for arch in both() {
        let mut m = machine(arch);
        let at = load(&mut m, |a| {
            match arch {
                Arch::X64 => a.pushfq().unwrap(),
                Arch::X86 => a.pushfd().unwrap(),
            }
            a.cli().unwrap();
            match arch {
                Arch::X64 => a.popfq().unwrap(),
                Arch::X86 => a.popfd().unwrap(),
            }
            a.ret().unwrap();
        });
        assert_eq!(m.watch_popf(at, 16).unwrap(), 1);
        m.call(at, &[], native(arch)).unwrap();
        assert!(m.guest().cpu.interrupts_enabled, "{arch:?}");
        assert_eq!(privileged_ops(&m), vec![Privileged::Cli, Privileged::Popf { interrupts_enabled: true }]);
        assert_eq!(m.reg(Reg::Flags) & 0x200, 0x200);
    }
}

#[test]
fn control_registers_are_virtual() {
    let mut m = machine(Arch::X64);
    let real_cr3 = m.guest().cpu.cr3;
    let r = run(&mut m, |a| {
        a.mov(rax, cr0).unwrap();
        a.mov(rcx, 0x1234_5000u64).unwrap();
        a.mov(cr3, rcx).unwrap();
        a.mov(rdx, cr3).unwrap();
        a.mov(r8, 2u64).unwrap();
        a.mov(cr8, r8).unwrap();
        a.mov(r9, cr8).unwrap();
        a.mov(r10, cr4).unwrap();
        a.add(rax, rdx).unwrap();
        a.add(rax, r9).unwrap();
        a.ret().unwrap();
    });
    assert_eq!(r.unwrap(), 0x8001_0033 + 0x1234_5000 + 2);
    let cpu = &m.guest().cpu;
    assert_eq!((cpu.cr3, cpu.cr8), (0x1234_5000, 2));
    // The page tables the machine runs on did not change.
    assert_eq!(m.mem().page_table_root(), real_cr3);
    let ops = privileged_ops(&m);
    assert_eq!(ops[1], Privileged::WriteCr { cr: 3, value: 0x1234_5000 });
    assert_eq!(ops[5], Privileged::ReadCr { cr: 4, value: 0x620 });
    let text: Vec<String> = m.guest().trace.privileged().map(|p| p.text.clone()).collect();
    assert_eq!(text[0], "mov rax, cr0");
}

#[test]
fn x86_control_and_debug_registers() {
    let mut m = machine(Arch::X86);
    let r = run(&mut m, |a| {
        a.mov(eax, 0x0000_0401u32).unwrap();
        a.mov(dr7, eax).unwrap();
        a.mov(ecx, dr7).unwrap();
        a.mov(eax, cr4).unwrap();
        a.add(eax, ecx).unwrap();
        a.ret().unwrap();
    });
    assert_eq!(r.unwrap(), 0x600 + 0x401);
    assert_eq!(m.guest().cpu.dr[7], 0x401);
}

#[test]
fn hlt_waits_a_tick_with_interrupts_on_and_stops_the_run_with_them_off() {
    for arch in both() {
        let mut m = machine(arch);
        let before = m.guest().cpu.clock.now_ns();
        assert_eq!(
            run(&mut m, |a| {
                a.hlt().unwrap();
                a.mov(eax, 3).unwrap();
                a.ret().unwrap();
            })
            .unwrap(),
            3
        );
        assert!(m.guest().cpu.clock.now_ns() - before >= 15_625_000);
        let at = load(&mut m, |a| {
            a.cli().unwrap();
            a.hlt().unwrap();
            a.ret().unwrap();
        });
        match m.call(at, &[], native(arch)) {
            Err(Stop::Halted { pc }) => assert_eq!(pc, at + 1),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn descriptor_table_loads_are_virtual() {
    for arch in both() {
        let mut m = machine(arch);
        let buf = m.mem_mut().alloc(RegionKind::Pool, "pseudo descriptor", 0x1000, Prot::RW).unwrap();
        m.mem_mut().write_u16(buf, 0x7FF).unwrap();
        m.mem_mut().write_ptr(buf + 2, 0x1000).unwrap();
        let real_gdt = m.guest().cpu.gdtr;
        run(&mut m, |a| {
            match arch {
                Arch::X64 => {
                    a.mov(rcx, buf).unwrap();
                    a.lgdt(ptr(rcx)).unwrap();
                    a.lidt(ptr(rcx)).unwrap();
                    a.sgdt(ptr(rcx + 0x100)).unwrap();
                }
                Arch::X86 => {
                    a.mov(ecx, buf as u32).unwrap();
                    a.lgdt(ptr(ecx)).unwrap();
                    a.lidt(ptr(ecx)).unwrap();
                    a.sgdt(ptr(ecx + 0x100)).unwrap();
                }
            }
            a.mov(eax, 0x28).unwrap();
            a.ltr(ax).unwrap();
            a.xor(eax, eax).unwrap();
            a.lldt(ax).unwrap();
            a.ret().unwrap();
        })
        .unwrap();
        let cpu = &m.guest().cpu;
        assert_eq!((cpu.gdtr.base, cpu.gdtr.limit), (0x1000, 0x7FF));
        assert_eq!((cpu.idtr.base, cpu.idtr.limit), (0x1000, 0x7FF));
        assert_eq!((cpu.tr, cpu.ldtr), (0x28, 0));
        // sgdt still shows the table the machine really runs on.
        assert_eq!(m.mem().read_ptr(buf + 0x102).unwrap(), real_gdt.base);
        let ops = privileged_ops(&m);
        assert_eq!(ops[0], Privileged::Lgdt { base: 0x1000, limit: 0x7FF });
        assert_eq!(ops[2], Privileged::Ltr { selector: 0x28 });
    }
}

#[test]
fn cache_and_tlb_maintenance_is_recorded() {
    let mut m = machine(Arch::X64);
    run(&mut m, |a| {
        a.mov(rcx, 0xFFFF_F800_0000_1000u64).unwrap();
        a.invlpg(ptr(rcx + 8)).unwrap();
        a.wbinvd().unwrap();
        a.invd().unwrap();
        a.clts().unwrap();
        a.ret().unwrap();
    })
    .unwrap();
    assert_eq!(
        privileged_ops(&m),
        vec![
            Privileged::Invlpg { address: 0xFFFF_F800_0000_1008 },
            Privileged::Wbinvd,
            Privileged::Invd,
            Privileged::Clts
        ]
    );
    assert_eq!(m.guest().cpu.cache_flushes, 3);
}

#[test]
fn swapgs_swaps_with_kernel_gs_base() {
    let mut m = machine(Arch::X64);
    let kpcr = m.mem().layout().kpcr;
    m.guest_mut().cpu.msrs.set(msr::IA32_KERNEL_GS_BASE, 0x7FF_0000, true);
    run(&mut m, |a| {
        a.swapgs().unwrap();
        a.ret().unwrap();
    })
    .unwrap();
    assert_eq!(m.guest().cpu.msrs.read(msr::IA32_KERNEL_GS_BASE), Ok(kpcr));
    assert_eq!(privileged_ops(&m), vec![Privileged::Swapgs { gs_base: 0x7FF_0000 }]);
    // rdmsr of GS_BASE sees the live register.
    let r = run(&mut m, |a| {
        a.swapgs().unwrap();
        a.mov(ecx, msr::IA32_GS_BASE).unwrap();
        a.rdmsr().unwrap();
        a.shl(rdx, 32).unwrap();
        a.or(rax, rdx).unwrap();
        a.ret().unwrap();
    });
    assert_eq!(r.unwrap(), kpcr);
}

#[test]
fn lmsw_and_rdpmc() {
    let mut m = machine(Arch::X86);
    let r = run(&mut m, |a| {
        a.mov(eax, 0x8).unwrap();
        a.lmsw(ax).unwrap();
        a.mov(ecx, 0).unwrap();
        a.mov(eax, 5).unwrap();
        a.rdpmc().unwrap();
        a.add(eax, 4).unwrap();
        a.ret().unwrap();
    });
    assert_eq!(r.unwrap(), 4, "counters read zero");
    assert_eq!(m.guest().cpu.cr0 & 0xF, 0x9, "TS set, PE kept");
    assert_eq!(privileged_ops(&m), vec![Privileged::Lmsw { value: 8 }, Privileged::Rdpmc { counter: 0, value: 0 }]);
}

#[test]
fn xsetbv_is_undefined_without_xsave() {
    // The CPU identity offers no XSAVE and CR4.OSXSAVE is clear: #UD, as on hardware.
    let mut m = machine(Arch::X64);
    let f = expect_fault(run(&mut m, |a| {
        a.xor(ecx, ecx).unwrap();
        a.mov(eax, 3).unwrap();
        a.xor(edx, edx).unwrap();
        a.xsetbv().unwrap();
        a.ret().unwrap();
    }));
    assert_eq!(f.kind, FaultKind::InvalidOpcode);
}

#[test]
fn cpuid_reports_the_configured_identity() {
    let mut cfg = MachineConfig::new(Arch::X64);
    cfg.cpu.vendor = "AuthenticAMD".into();
    let mut m = machine_with(cfg);
    let buf = m.mem_mut().alloc(RegionKind::Pool, "out", 0x1000, Prot::RW).unwrap();
    run(&mut m, |a| {
        a.push(rbx).unwrap();
        a.xor(eax, eax).unwrap();
        a.cpuid().unwrap();
        a.mov(r8, buf).unwrap();
        a.mov(dword_ptr(r8), ebx).unwrap();
        a.mov(dword_ptr(r8 + 4), edx).unwrap();
        a.mov(dword_ptr(r8 + 8), ecx).unwrap();
        a.pop(rbx).unwrap();
        a.ret().unwrap();
    })
    .unwrap();
    let mut v = [0u8; 12];
    m.mem().read(buf, &mut v).unwrap();
    assert_eq!(&v, b"AuthenticAMD");
    assert!(matches!(privileged_ops(&m)[0], Privileged::Cpuid { leaf: 0, .. }));
}

fn tsc_sequence(arch: Arch) -> Vec<u64> {
    let mut m = machine(arch);
    let buf = m.mem_mut().alloc(RegionKind::Pool, "tsc", 0x1000, Prot::RW).unwrap();
    run(&mut m, |a| {
        match arch {
            Arch::X64 => a.mov(rcx, buf).unwrap(),
            Arch::X86 => a.mov(ecx, buf as u32).unwrap(),
        }
        for i in 0..3 {
            a.rdtsc().unwrap();
            match arch {
                Arch::X64 => {
                    a.mov(dword_ptr(rcx + i * 8), eax).unwrap();
                    a.mov(dword_ptr(rcx + i * 8 + 4), edx).unwrap();
                }
                Arch::X86 => {
                    a.mov(dword_ptr(ecx + i * 8), eax).unwrap();
                    a.mov(dword_ptr(ecx + i * 8 + 4), edx).unwrap();
                }
            }
        }
        a.ret().unwrap();
    })
    .unwrap();
    (0..3).map(|i| m.mem().read_u64(buf + i * 8).unwrap()).collect()
}

#[test]
fn rdtsc_is_a_deterministic_virtual_clock() {
    for arch in both() {
        let a = tsc_sequence(arch);
        let b = tsc_sequence(arch);
        assert_eq!(a, b, "two runs read the same TSC values");
        assert_eq!(a[1] - a[0], portcullis_emu::cpu::RDTSC_QUANTUM);
        assert_eq!(a[0], 30_000_000_000 + portcullis_emu::cpu::RDTSC_QUANTUM);
    }
}

#[test]
fn rdtscp_returns_tsc_aux() {
    let mut m = machine(Arch::X64);
    m.guest_mut().cpu.msrs.set(msr::IA32_TSC_AUX, 7, true);
    let r = run(&mut m, |a| {
        a.rdtscp().unwrap();
        a.mov(eax, ecx).unwrap();
        a.ret().unwrap();
    });
    assert_eq!(r.unwrap(), 7);
    assert!(matches!(privileged_ops(&m)[0], Privileged::Rdtscp { aux: 7, .. }));
}
