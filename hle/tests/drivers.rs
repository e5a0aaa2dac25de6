//! The corpus drivers, end to end on both architectures: load, DriverEntry, requests with
//! every transfer method, the port accesses they make, faults and limits, unload and leaks.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::*;

fn port_req(port: u16, width: u16) -> Vec<u8> {
    [port.to_le_bytes(), width.to_le_bytes()].concat()
}

#[test]
fn halports_reach_devices_through_the_hal_routines() {
    for arch in both() {
        let (mut k, d) = started("halports", arch);
        // DriverEntry wrote the POST code, from inside the image.
        let post = ports(&k).into_iter().find(|p| p.port == 0x80).expect("POST write");
        assert!(post.write && post.value == 0x42);
        assert!(k.ext().drivers()[d].image.contains(post.pc), "pc {:#x} in the driver", post.pc);
        if arch == Arch::X86 {
            // On x86 the access came through WRITE_PORT_UCHAR, traced with its call site.
            let call = calls(&k).into_iter().find(|c| c.name == "WRITE_PORT_UCHAR").unwrap();
            assert_eq!(call.caller, post.pc);
        }
        assert_eq!(debug_lines(&k), vec!["halports: loaded, 4 functions\n"]);

        let dev = attach(&mut k, 0x300);
        dev.regs.borrow_mut().copy_from_slice(&[0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]);
        let h = open(&mut k, "\\\\.\\HalPorts");
        clear_trace(&mut k);
        for (width, expect) in [(1u16, 0x22u32), (2, 0x3322), (4, 0x5544_3322)] {
            let r = ioctl(&mut k, h, ctl(0x800, 0), &port_req(0x301, width), 4);
            assert_eq!((r.status(), r.information()), (status::SUCCESS, 4));
            assert_eq!(u32s(r.output()), vec![expect], "{arch:?} width {width}");
        }
        let reads: Vec<(u16, Width, bool)> = dev.log.borrow().iter().map(|l| (l.0, l.1, l.2)).collect();
        assert_eq!(reads, vec![(1, Width::Byte, false), (1, Width::Word, false), (1, Width::Dword, false)]);
        // Write: a dword at 0x304.
        let mut w = port_req(0x304, 4);
        w.extend_from_slice(&0xCAFE_BABEu32.to_le_bytes());
        assert_eq!(ioctl(&mut k, h, ctl(0x801, 0), &w, 0).status(), status::SUCCESS);
        assert_eq!(dev.regs.borrow()[4..8], [0xBE, 0xBA, 0xFE, 0xCA]);
        // Buffer forms: three words out to 0x300, then four bytes in from 0x304.
        let mut wb = port_req(0x300, 2);
        wb.extend_from_slice(&3u32.to_le_bytes());
        wb.extend_from_slice(&[1, 0, 2, 0, 3, 0]);
        assert_eq!(ioctl(&mut k, h, ctl(0x802, 0), &wb, 0).status(), status::SUCCESS);
        let writes: Vec<u32> = dev.log.borrow().iter().filter(|l| l.2 && l.1 == Width::Word).map(|l| l.3).collect();
        assert_eq!(writes, vec![1, 2, 3]);
        let mut rb = port_req(0x304, 1);
        rb.extend_from_slice(&4u32.to_le_bytes());
        let r = ioctl(&mut k, h, ctl(0x803, 0), &rb, 4);
        assert_eq!((r.status(), r.output()), (status::SUCCESS, &[0xBE, 0xBE, 0xBE, 0xBE][..]));
        // Every access is in the trace as emulated.
        assert!(ports(&k).iter().all(|p| p.outcome == Outcome::Emulated));
        // Argument checks of the driver itself.
        assert_eq!(ioctl(&mut k, h, ctl(0x800, 0), &port_req(0x300, 3), 4).status(), status::INVALID_PARAMETER);
        assert_eq!(ioctl(&mut k, h, ctl(0x800, 0), &[0], 4).status(), status::BUFFER_TOO_SMALL);
        assert_eq!(ioctl(&mut k, h, ctl(0x8FF, 0), &[], 0).status(), status::INVALID_DEVICE_REQUEST);

        request::close(&mut k, h).unwrap();
        let u = driver::unload(&mut k, d).unwrap();
        assert!(u.routine_called);
        assert!(u.leaks.is_empty(), "{:?}", u.leaks);
    }
}

#[test]
fn rawio_instructions_are_mediated_with_exact_pcs() {
    for arch in both() {
        let (mut k, d) = started("rawio", arch);
        let dev = attach(&mut k, 0x60);
        dev.regs.borrow_mut()[1] = 0x5A; // port 0x61
        let h = open(&mut k, "\\\\.\\RawIo");
        clear_trace(&mut k);
        let r = ioctl(&mut k, h, ctl(0x804, 0), &[], 4);
        assert_eq!(u32s(r.output()), vec![0x5A]);
        assert_eq!(port_log(&k), vec![(0x80, true, 0x11), (0x61, false, 0x5A), (0x80, true, 0x22)]);
        let pcs: Vec<u64> = ports(&k).iter().map(|p| p.pc).collect();
        let image = &k.ext().drivers()[d].image;
        assert!(pcs.iter().all(|pc| image.contains(*pc)));
        // out imm8 (E6), in imm8 (E4), out imm8 (E6), at their own addresses.
        let ops: Vec<u8> = pcs.iter().map(|pc| k.mem().read_u8(*pc).unwrap()).collect();
        assert_eq!(ops, vec![0xE6, 0xE4, 0xE6], "{arch:?}");
        assert!(pcs[0] < pcs[1] && pcs[1] < pcs[2]);

        // rep outsw / rep insd through the string IOCTLs.
        clear_trace(&mut k);
        let mut ws = port_req(0x60, 2);
        ws.extend_from_slice(&3u32.to_le_bytes());
        ws.extend_from_slice(&[0xA1, 0xA2, 0xB1, 0xB2, 0xC1, 0xC2]);
        assert_eq!(ioctl(&mut k, h, ctl(0x802, 0), &ws, 0).status(), status::SUCCESS);
        assert_eq!(port_log(&k), vec![(0x60, true, 0xA2A1), (0x60, true, 0xB2B1), (0x60, true, 0xC2C1)]);
        let mut rs = port_req(0x64, 4);
        rs.extend_from_slice(&2u32.to_le_bytes());
        let r = ioctl(&mut k, h, ctl(0x803, 0), &rs, 8);
        assert_eq!(r.information(), 8);
        assert_eq!(ports(&k).iter().filter(|p| !p.write && p.width == Width::Dword).count(), 2);

        // CPUID, RDMSR and CLI/STI from driver code.
        let r = ioctl(&mut k, h, ctl(0x805, 0), &[], 16);
        let regs = u32s(r.output());
        let vendor: Vec<u8> = [regs[1], regs[3], regs[2]].iter().flat_map(|v| v.to_le_bytes()).collect();
        assert_eq!(&vendor, b"GenuineIntel");
        let r = ioctl(&mut k, h, ctl(0x806, 0), &0x1Bu32.to_le_bytes(), 8);
        assert_eq!(u64::from_le_bytes(r.output().try_into().unwrap()), 0xFEE0_0900);
        let r = ioctl(&mut k, h, ctl(0x807, 0), &[], 4);
        assert_eq!(u32s(r.output()), vec![2], "IF clear after cli, set after sti");
        let ops: Vec<String> = k.guest().trace.privileged().map(|p| p.text.clone()).collect();
        assert!(ops.iter().any(|t| t == "rdmsr") && ops.iter().any(|t| t == "cli") && ops.iter().any(|t| t == "sti"));

        // An MSR the CPU does not have: #GP in the driver, which Windows raises as a privileged
        // instruction; the driver has no handler, so the run ends in KMODE_EXCEPTION_NOT_HANDLED.
        let r =
            request::device_control(&mut k, h, ctl(0x806, 0), &0xDEADu32.to_le_bytes(), &OutBuffer::zeroed(8), false);
        let b = bugcheck_of(r);
        assert_eq!(b.code, 0x1E);
        assert_eq!(b.params[0], status_param(arch, 0xC000_0096));
        assert!(k.ext().drivers()[d].image.contains(b.params[1]));
        let e = exceptions(&k).pop().unwrap();
        assert_eq!((e.code, e.address), (0xC000_0096, b.params[1]));
        let detail = e.detail.unwrap();
        assert_eq!(detail.instruction.as_deref(), Some("rdmsr"));
        assert!(detail.reason.unwrap().contains("0xdead"));
    }
}

#[test]
fn methods_buffered_direct_and_neither() {
    for arch in both() {
        let (mut k, _) = started("methods", arch);
        let h = open(&mut k, "\\\\.\\Methods");
        // METHOD_BUFFERED
        let r = ioctl(&mut k, h, ctl(0x900, 0), b"abcdef", 16);
        assert_eq!((r.status(), r.output()), (status::SUCCESS, &b"fedcba"[..]));
        // METHOD_IN_DIRECT: the driver reads the caller's "output" buffer through the MDL.
        let data: Vec<u8> = (1..=100).collect();
        let r = request::device_control(&mut k, h, ctl(0x901, 1), &[], &OutBuffer::with(data.clone()), false).unwrap();
        assert_eq!((r.status(), r.information()), (status::SUCCESS, 5050));
        assert!(calls(&k).iter().any(|c| c.name == "MmMapLockedPagesSpecifyCache"));
        // METHOD_OUT_DIRECT: written through the system mapping, seen in the caller's buffer.
        let r = ioctl(&mut k, h, ctl(0x902, 2), &[0xF0], 0x30);
        let expect: Vec<u8> = (0..0x30u32).map(|i| (0xF0 + i) as u8).collect();
        assert_eq!((r.status(), r.output()), (status::SUCCESS, expect.as_slice()));
        // METHOD_NEITHER: raw user pointers.
        let r = ioctl(&mut k, h, ctl(0x903, 3), b"Port I/O!", 32);
        assert_eq!(r.output(), b"PORT I/O!");
        // The system mappings are gone again.
        assert!(k.mem().regions().all(|r| !r.alias), "{arch:?}");
    }
}

#[test]
fn methods_pending_completion_forwarding_and_cancel() {
    for arch in both() {
        let (mut k, d) = started("methods", arch);
        let h = open(&mut k, "\\\\.\\Methods");
        let pend = ioctl(&mut k, h, ctl(0x904, 0), &[], 4);
        assert_eq!(pend.returned, status::PENDING);
        assert!(pend.completion.is_none());
        assert_eq!(ioctl(&mut k, h, ctl(0x904, 0), &[], 4).status(), status::DEVICE_BUSY);
        let release = ioctl(&mut k, h, ctl(0x905, 0), &[], 0);
        assert_eq!(release.status(), status::SUCCESS);
        let done = request::take_completion(&mut k, pend.id).expect("the pending request completed");
        assert_eq!((done.status, done.information), (status::SUCCESS, 4));
        assert_eq!(u32s(&done.output), vec![0xC0FFEE]);
        assert_eq!(ioctl(&mut k, h, ctl(0x905, 0), &[], 0).status(), status::NOT_FOUND);

        // IofCallDriver to the lower device, with a completion routine on the way back.
        let r = ioctl(&mut k, h, ctl(0x906, 0), &[], 4);
        assert_eq!((r.status(), u32s(r.output())), (status::SUCCESS, vec![0x10E5]), "{arch:?}");
        assert!(calls(&k).iter().any(|c| c.name == "IofCallDriver"));

        // Closing with a request pending cancels it.
        let pend = ioctl(&mut k, h, ctl(0x904, 0), &[], 4);
        assert_eq!(pend.returned, status::PENDING);
        request::close(&mut k, h).unwrap();
        assert_eq!(request::take_completion(&mut k, pend.id).unwrap().status, status::CANCELLED);
        let u = driver::unload(&mut k, d).unwrap();
        assert!(u.leaks.is_empty(), "{:?}", u.leaks);
    }
}

#[test]
fn an_unhandled_null_dereference_is_kmode_exception_not_handled() {
    for arch in both() {
        let (mut k, d) = started("nullderef", arch);
        let h = open(&mut k, "\\\\.\\NullDeref");
        let b = bugcheck_of(request::device_control(&mut k, h, ctl(0x800, 0), &[], &OutBuffer::zeroed(4), false));
        // KMODE_EXCEPTION_NOT_HANDLED(code, address, parameter 0, parameter 1): a read of 0.
        assert_eq!(b.code, 0x1E, "{arch:?}");
        assert!(k.ext().drivers()[d].image.contains(b.params[1]));
        assert_eq!([b.params[0], b.params[2], b.params[3]], [status_param(arch, 0xC000_0005), 0, 0]);
        let e = exceptions(&k).pop().unwrap();
        assert_eq!((e.params.clone(), e.address), (vec![0, 0], b.params[1]));
        assert!(e.location.starts_with("nullderef+"), "{}", e.location);
        let frames = e.detail.unwrap().frames;
        assert_eq!(frames[0].pc, b.params[1]);
    }
}

#[test]
fn a_driver_that_never_returns_meets_its_budget() {
    for arch in both() {
        let mut cfg = MachineConfig::new(arch);
        cfg.limits.max_instructions = Some(200_000);
        let mut k = Kernel::boot(cfg, KernelOptions::default()).unwrap();
        let d = loader::load(&mut k, "spin", &corpus_bytes("spin", arch)).unwrap();
        match driver::call_entry(&mut k, d) {
            Err(Stop::Limit(LimitHit::Instructions { limit: 200_000, .. })) => {}
            other => panic!("{other:?}"),
        }
        assert_eq!(debug_lines(&k), vec!["spin: entering a loop that never ends\n"]);

        let mut cfg = MachineConfig::new(arch);
        cfg.limits.time = Some(std::time::Duration::from_millis(100));
        let mut k = Kernel::boot(cfg, KernelOptions::default()).unwrap();
        let d = loader::load(&mut k, "spin", &corpus_bytes("spin", arch)).unwrap();
        assert!(matches!(driver::call_entry(&mut k, d), Err(Stop::Limit(LimitHit::Time { limit_ms: 100 }))));
    }
}

#[test]
fn a_missing_import_is_refused_by_name_or_stubbed_on_request() {
    for arch in both() {
        let mut k = boot(arch);
        match loader::load(&mut k, "missing", &corpus_bytes("missing", arch)) {
            Err(loader::LoadError::MissingImports(m)) => assert_eq!(m, vec!["ntoskrnl.exe!PortcullisNoSuchRoutine"]),
            other => panic!("{other:?}"),
        }
        assert!(k.ext().drivers().is_empty());

        let options = KernelOptions { missing_imports: MissingImports::Stub, ..Default::default() };
        let mut k = Kernel::boot(MachineConfig::new(arch), options).unwrap();
        let d = loader::load(&mut k, "missing", &corpus_bytes("missing", arch)).unwrap();
        let imports = &k.ext().drivers()[d].image.imports;
        assert!(imports.iter().any(|i| i.name == "PortcullisNoSuchRoutine" && !i.implemented));
        assert_eq!(driver::call_entry(&mut k, d).unwrap(), status::NOT_IMPLEMENTED);
        let stubbed =
            k.guest().trace.events().iter().any(
                |e| matches!(e, Event::Ext(KernelEvent::Call(c)) if c.missing && c.name == "PortcullisNoSuchRoutine"),
            );
        assert!(stubbed);
    }
}

#[test]
fn missing_imports_are_stubbed_by_their_signatures() {
    use portcullis_hle::types::ArgKind;
    for arch in both() {
        let options = KernelOptions { missing_imports: MissingImports::Stub, ..Default::default() };
        let mut k = Kernel::boot(MachineConfig::new(arch), options).unwrap();
        let d = loader::load(&mut k, "stubbed", &corpus_bytes("stubbed", arch)).unwrap();
        // DriverEntry checks each answer and that each stub popped exactly its arguments
        // (called without any rebalancing by the caller on x86): it succeeds only if all held.
        assert_eq!(driver::call_entry(&mut k, d).unwrap(), status::SUCCESS, "{arch:?}: {:?}", debug_lines(&k));
        assert_eq!(debug_lines(&k).last().unwrap(), "stubbed: 0 mismatches\n");
        let stubbed: Vec<(String, Option<u64>, Option<ArgKind>)> =
            calls(&k).into_iter().filter(|c| c.missing).map(|c| (c.name.to_string(), c.ret, c.ret_kind)).collect();
        let nt = status::NOT_IMPLEMENTED.0 as u64;
        assert_eq!(
            stubbed,
            vec![
                ("CcGetFileObjectFromSectionPtrs".into(), Some(0), Some(ArgKind::Ptr)),
                ("CcGetFlushedValidData".into(), Some(0), Some(ArgKind::U64)),
                ("CcSetDirtyPageThreshold".into(), None, None),
                ("FsRtlBalanceReads".into(), Some(nt), Some(ArgKind::Status)),
                ("FsRtlIsTotalDeviceFailure".into(), Some(0), Some(ArgKind::Bool)),
                ("FsRtlNotifyVolumeEvent".into(), Some(nt), Some(ArgKind::Status)),
                ("FsRtlNumberOfRunsInLargeMcb".into(), Some(0), Some(ArgKind::U32)),
                ("IoGetDeviceToVerify".into(), Some(0), Some(ArgKind::Ptr)),
            ],
            "{arch:?}"
        );
        // Their arguments are decoded from the signature list.
        let c = calls(&k).into_iter().find(|c| c.name == "CcGetFlushedValidData").unwrap();
        assert_eq!(c.args.iter().find(|a| a.0 == "BcbListHeld").map(|a| &a.1), Some(&ArgValue::Bool(true)));
        let c = calls(&k).into_iter().find(|c| c.name == "CcSetDirtyPageThreshold").unwrap();
        assert_eq!(c.args, vec![("FileObject", ArgValue::Hex("0x0".into())), ("DirtyPageThreshold", ArgValue::Int(5))]);
        // The variable is a zeroed stand-in, not a code slot.
        let data: Vec<_> = k.ext().calls.missing().filter(|m| m.data).map(|m| m.full_name()).collect();
        assert_eq!(data, vec!["ntoskrnl.exe!IoReadOperationCount"]);
    }
}

#[test]
fn unload_reports_what_leaky_left_behind() {
    for arch in both() {
        let (mut k, d) = started("leaky", arch);
        let u = driver::unload(&mut k, d).unwrap();
        let l = &u.leaks;
        assert_eq!(l.pool.len(), 2, "{arch:?}");
        assert!(l.pool.iter().all(|b| b.size == 0x40 && b.tag == u32::from_le_bytes(*b"Leak")));
        assert!(l.pool.iter().all(|b| k.ext().drivers()[d].image.contains(b.caller)));
        assert_eq!(l.devices.len(), 1);
        assert_eq!(l.devices[0].name.as_deref(), Some("\\Device\\LeakyToo"));
        assert_eq!(l.symbolic_links.len(), 1);
        assert_eq!(
            (l.symbolic_links[0].name.as_str(), l.symbolic_links[0].target.as_str()),
            ("\\DosDevices\\Leaky", "\\Device\\Leaky")
        );
    }
}

#[test]
fn beeper_programs_the_pit_and_the_speaker_gate() {
    for arch in both() {
        let mut k = boot(arch);
        let d = loader::load(&mut k, "beeper", &corpus_bytes("beeper", arch)).unwrap();
        let before = k.guest().cpu.clock.now_ns();
        assert_eq!(driver::call_entry(&mut k, d).unwrap(), status::SUCCESS);
        // 880 Hz: divisor 1193182 / 880 = 1355 = 0x054B.
        assert_eq!(
            port_log(&k),
            vec![
                (0x43, true, 0xB6),
                (0x42, true, 0x4B),
                (0x42, true, 0x05),
                (0x61, false, 0xFF),
                (0x61, true, 0xFF),
                (0x61, false, 0xFF),
                (0x61, true, 0xFC),
            ],
            "{arch:?}"
        );
        // 1000 stalls of 50 us: 50 ms of virtual time, no host time.
        assert!(k.guest().cpu.clock.now_ns() - before >= 50_000_000);
        assert_eq!(debug_lines(&k), vec!["beeper: chirped at 880 Hz\n"]);
        let h = open(&mut k, "\\\\.\\Beeper");
        clear_trace(&mut k);
        let beep = [440u32.to_le_bytes(), 10u32.to_le_bytes()].concat();
        assert_eq!(ioctl(&mut k, h, ctl(0x800, 0), &beep, 0).status(), status::SUCCESS);
        assert_eq!(port_log(&k)[..3], [(0x43, true, 0xB6), (0x42, true, 0x97), (0x42, true, 0x0A)]);
        let bad = [0u32.to_le_bytes(), 10u32.to_le_bytes()].concat();
        clear_trace(&mut k);
        assert_eq!(ioctl(&mut k, h, ctl(0x800, 0), &bad, 0).status(), status::INVALID_PARAMETER);
        assert!(ports(&k).is_empty());
    }
}

#[test]
fn kapi_routines_behave_as_documented() {
    for arch in both() {
        let (mut k, _) = started("kapi", arch);
        let h = open(&mut k, "\\\\.\\KApi");
        // Strings.
        let r = ioctl(&mut k, h, ctl(0xA00, 0), &[], 26);
        let w: Vec<u16> = r.output().chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        assert_eq!(&w[..6], &[20, 22, 4, 5, 16, 16], "{arch:?}");
        assert_eq!(String::from_utf16_lossy(&w[6..12]), "Portcu");
        assert_eq!(w[12], 0, "RtlInitUnicodeString(NULL) gives an empty string");
        // Pool and memory routines.
        let r = ioctl(&mut k, h, ctl(0xA01, 0), &[], 16);
        assert_eq!(u32s(r.output()), vec![1, 100, 0xAB, 1]);
        assert_eq!(k.ext().pool.owned_by(portcullis_hle::ob::Owner::Driver(0)).count(), 0);
        // IRQL: 0, raised from 0 to 2, back to 0 (CR8 on x64, the HAL on x86).
        let r = ioctl(&mut k, h, ctl(0xA02, 0), &[], 16);
        assert_eq!(u32s(r.output()), vec![0, 0, 2, 0]);
        if arch == Arch::X64 {
            assert!(k.guest().trace.privileged().any(|p| p.text.contains("cr8")));
        } else {
            assert!(calls(&k).iter().any(|c| c.name == "KfRaiseIrql"));
        }
        // The current process is the caller's.
        let r = ioctl(&mut k, h, ctl(0xA03, 0), &[], 8);
        assert_eq!(u32s(r.output()), vec![1, 0]);
        // Formatted debug output.
        clear_trace(&mut k);
        ioctl(&mut k, h, ctl(0xA04, 0), &[], 0);
        let p = if arch == Arch::X64 { "0000000000001234" } else { "00001234" };
        assert_eq!(
            debug_lines(&k),
            vec![
                "kapi: answer=42 hex=0000beef char=Z wide=wide\n".to_string(),
                format!("kapi: pointer {p}, unsigned 4000000000, long -5, ulonglong 1122334455667788\n"),
            ]
        );
        let dbg = k.guest().trace.events().iter().find_map(|e| match e {
            Event::Ext(KernelEvent::Debug(d)) => Some(d.clone()),
            _ => None,
        });
        assert_eq!((dbg.clone().unwrap().component, dbg.unwrap().level), (Some(77), Some(0)));
        // Stalls move virtual time only.
        let t = k.guest().cpu.clock.now_ns();
        ioctl(&mut k, h, ctl(0xA05, 0), &1000u32.to_le_bytes(), 0);
        assert!(k.guest().cpu.clock.now_ns() - t >= 1_000_000);
        // KeBugCheckEx ends the run with its code and parameters.
        match request::device_control(&mut k, h, ctl(0xA06, 0), &[], &OutBuffer::zeroed(0), false) {
            Err(portcullis_hle::kernel::KError::Stop(Stop::Host(KernelStop::Bugcheck(b)))) => {
                assert_eq!((b.code, b.params), (0xDEAD_DEAD, [1, 2, 3, 4]));
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn the_same_driver_and_requests_give_the_same_trace() {
    let run = || {
        let (mut k, d) = started("methods", Arch::X64);
        let h = open(&mut k, "\\\\.\\Methods");
        for code in [ctl(0x900, 0), ctl(0x902, 2), ctl(0x903, 3), ctl(0x906, 0)] {
            ioctl(&mut k, h, code, b"xyz", 8);
        }
        request::close(&mut k, h).unwrap();
        driver::unload(&mut k, d).unwrap();
        format!("{:?}", k.guest().trace.events())
    };
    assert_eq!(run(), run());
}
