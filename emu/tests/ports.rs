//! Port I/O: widths and forms, rep string forms, policies, splitting, the I/O permission map.
mod common;
use common::*;
use portcullis_emu::ports::*;
use std::cell::RefCell;
use std::rc::Rc;

/// A device with 8 byte registers that records every access it sees.
type Log = Rc<RefCell<Vec<(u16, Width, bool, u32)>>>;

#[derive(Clone, Default)]
struct Regs {
    log: Log,
    regs: Rc<RefCell<[u8; 8]>>,
    widths: Option<Widths>,
}

impl PortDevice for Regs {
    fn name(&self) -> &str {
        "regs"
    }
    fn widths(&self) -> Widths {
        self.widths.unwrap_or(Widths::ALL)
    }
    fn read(&mut self, offset: u16, width: Width, _: &mut portcullis_emu::ports::BusContext) -> u32 {
        self.log.borrow_mut().push((offset, width, false, 0));
        let r = self.regs.borrow();
        (0..width.bytes()).map(|i| (r[((offset + i) % 8) as usize] as u32) << (8 * i)).fold(0, |a, b| a | b)
    }
    fn write(&mut self, offset: u16, width: Width, value: u32, _: &mut portcullis_emu::ports::BusContext) {
        self.log.borrow_mut().push((offset, width, true, value));
        let mut r = self.regs.borrow_mut();
        for i in 0..width.bytes() {
            r[((offset + i) % 8) as usize] = (value >> (8 * i)) as u8;
        }
    }
}

fn with_device(arch: Arch, base: u16) -> (Machine, Regs) {
    let mut m = machine(arch);
    let dev = Regs::default();
    m.guest_mut().ports.add_device(base, base + 7, Box::new(dev.clone())).unwrap();
    (m, dev)
}

#[test]
fn every_width_and_form_reaches_the_device_with_exact_pcs() {
    for arch in both() {
        let (mut m, dev) = with_device(arch, 0x60);
        let at = load(&mut m, |a| {
            a.mov(edx, 0x62).unwrap();
            a.mov(eax, 0x11).unwrap();
            a.out(0x60, al).unwrap(); // imm8, byte
            a.mov(eax, 0x3322).unwrap();
            a.out(dx, ax).unwrap(); // dx, word
            a.mov(eax, 0x7766_5544u32).unwrap();
            a.mov(edx, 0x64).unwrap();
            a.out(dx, eax).unwrap(); // dx, dword
            a.in_(al, 0x61).unwrap(); // imm8, byte -> 0x00 (never written)
            a.mov(edx, 0x62).unwrap();
            a.in_(ax, dx).unwrap(); // 0x3322
            a.shl(eax, 16).unwrap();
            a.mov(edx, 0x60).unwrap();
            a.in_(al, dx).unwrap(); // 0x11
            a.mov(edx, 0x64).unwrap();
            a.in_(eax, dx).unwrap(); // overwrite: 0x77665544
            a.ret().unwrap();
        });
        let r = m.call(at, &[], native(arch)).unwrap();
        assert_eq!(r, 0x7766_5544);
        let log = dev.log.borrow();
        assert_eq!(
            *log,
            vec![
                (0, Width::Byte, true, 0x11),
                (2, Width::Word, true, 0x3322),
                (4, Width::Dword, true, 0x7766_5544),
                (1, Width::Byte, false, 0),
                (2, Width::Word, false, 0),
                (0, Width::Byte, false, 0),
                (4, Width::Dword, false, 0),
            ]
        );
        // Each trace event carries the address of its own instruction, including two
        // port instructions inside one basic block.
        let code = m.mem().read_partial(at, 64);
        let events: Vec<PortEvent> = m.guest().trace.ports().copied().collect();
        assert_eq!(events.len(), 7);
        for e in &events {
            let op = code[(e.pc - at) as usize];
            let expect: &[u8] = if e.write { &[0xE6, 0xE7, 0xEE, 0xEF, 0x66] } else { &[0xE4, 0xE5, 0xEC, 0xED, 0x66] };
            assert!(expect.contains(&op), "{arch:?}: event at {:#x} points at {op:#x}", e.pc);
            assert_eq!(e.outcome, Outcome::Emulated);
            assert_eq!(e.cpl, 0);
        }
        assert_eq!(events[0].value, 0x11);
        assert_eq!(events[4].value, 0x3322);
        let pcs: Vec<u64> = events.iter().map(|e| e.pc).collect();
        let mut sorted = pcs.clone();
        sorted.dedup();
        assert_eq!(sorted.len(), 7, "distinct pcs: {pcs:x?}");
    }
}

#[test]
fn pcs_stay_exact_after_a_privileged_instruction_moved_rip() {
    // Regression for Unicorn 2.1.5: uc_reg_write(PC) from an interrupt hook made later
    // IN/OUT hooks report the start of the block instead of the instruction.
    let (mut m, _dev) = with_device(Arch::X64, 0x60);
    let at = load(&mut m, |a| {
        a.cli().unwrap();
        a.mov(eax, 1).unwrap();
        a.out(0x60, al).unwrap();
        a.out(0x61, al).unwrap();
        a.sti().unwrap();
        a.ret().unwrap();
    });
    m.call(at, &[], CallConv::Win64).unwrap();
    let pcs: Vec<u64> = m.guest().trace.ports().map(|e| e.pc).collect();
    assert_eq!(pcs, vec![at + 6, at + 8]);
}

#[test]
fn rep_string_forms_move_every_element() {
    for arch in both() {
        let (mut m, dev) = with_device(arch, 0x1F0);
        let buf = m.mem_mut().alloc(RegionKind::Pool, "buf", 0x1000, Prot::RW).unwrap();
        m.mem_mut().write(buf, b"ABCDEFGH").unwrap();
        dev.regs.borrow_mut().copy_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
        let r = run(&mut m, |a| {
            match arch {
                Arch::X64 => {
                    a.mov(rsi, buf).unwrap();
                    a.mov(rdi, buf + 0x100).unwrap();
                }
                Arch::X86 => {
                    a.push(esi).unwrap();
                    a.push(edi).unwrap();
                    a.mov(esi, buf as u32).unwrap();
                    a.mov(edi, buf as u32 + 0x100).unwrap();
                }
            }
            a.cld().unwrap();
            a.mov(edx, 0x1F0).unwrap();
            a.mov(ecx, 5).unwrap();
            a.rep().outsb().unwrap(); // 5 bytes out to 0x1F0
            a.mov(edx, 0x1F2).unwrap();
            a.mov(ecx, 3).unwrap();
            a.rep().insw().unwrap(); // 3 words in from 0x1F2
            if arch == Arch::X86 {
                a.pop(edi).unwrap();
                a.pop(esi).unwrap();
            }
            a.mov(eax, ecx).unwrap();
            a.ret().unwrap();
        });
        assert_eq!(r.unwrap(), 0, "ecx counts down to zero");
        let log = dev.log.borrow();
        let outs: Vec<u32> = log.iter().filter(|l| l.2).map(|l| l.3).collect();
        assert_eq!(outs, b"ABCDE".iter().map(|&b| b as u32).collect::<Vec<_>>());
        assert_eq!(log.iter().filter(|l| !l.2).count(), 3);
        // Every byte went to offset 0 (the last, 'E', stays); registers 2 and 3 still hold
        // 3 and 4, so each word read is 0x0403.
        assert_eq!(dev.regs.borrow()[0], b'E');
        let mut words = [0u8; 6];
        m.mem().read(buf + 0x100, &mut words).unwrap();
        assert_eq!(words, [3, 4, 3, 4, 3, 4]);
        assert_eq!(m.guest().trace.ports().count(), 8);
    }
}

#[test]
fn log_policy_reads_all_ones_and_records() {
    let mut m = machine(Arch::X64);
    m.guest_mut().ports.add_policy(0x3F8, 0x3FF, "com1", Policy::Log).unwrap();
    let r = run(&mut m, |a| {
        a.mov(edx, 0x3F8).unwrap();
        a.mov(al, 0x41).unwrap();
        a.out(dx, al).unwrap();
        a.in_(ax, dx).unwrap();
        a.ret().unwrap();
    });
    assert_eq!(r.unwrap() & 0xFFFF, 0xFFFF);
    let outcomes: Vec<Outcome> = m.guest().trace.ports().map(|e| e.outcome).collect();
    assert_eq!(outcomes, vec![Outcome::Logged, Outcome::Logged]);
}

#[test]
fn unclaimed_ports_read_all_ones() {
    for arch in both() {
        let mut m = machine(arch);
        let r = run(&mut m, |a| {
            a.mov(edx, 0x2E8).unwrap();
            a.in_(eax, dx).unwrap();
            a.ret().unwrap();
        });
        assert_eq!(r.unwrap() & 0xFFFF_FFFF, 0xFFFF_FFFF);
        let e: Vec<PortEvent> = m.guest().trace.ports().copied().collect();
        assert_eq!(e.len(), 1);
        assert_eq!((e[0].port, e[0].width, e[0].outcome), (0x2E8, Width::Dword, Outcome::Unclaimed));
    }
}

#[test]
fn denied_ports_fault_at_the_instruction_and_stop_further_access() {
    for arch in both() {
        let (mut m, dev) = with_device(arch, 0x60);
        m.guest_mut().ports.add_policy(0xCF8, 0xCFF, "pci config", Policy::Deny).unwrap();
        let at = load(&mut m, |a| {
            a.mov(edx, 0xCF8).unwrap();
            a.mov(eax, 0x8000_0000u32).unwrap();
            a.out(dx, eax).unwrap(); // denied
            a.out(0x60, al).unwrap(); // same block: must not reach the device
            a.mov(eax, 1).unwrap();
            a.ret().unwrap();
        });
        let f = expect_fault(m.call(at, &[], native(arch)));
        assert_eq!(f.kind, FaultKind::GeneralProtection);
        assert_eq!(f.pc, at + 10, "{arch:?}");
        assert!(f.reason.contains("0x0cf8") && f.reason.contains("policy"), "{}", f.reason);
        assert!(dev.log.borrow().is_empty());
        let e: Vec<Outcome> = m.guest().trace.ports().map(|e| e.outcome).collect();
        assert_eq!(e, vec![Outcome::Denied]);
        assert!(matches!(m.guest().trace.events().last(), Some(Event::Fault(_))));
    }
}

#[test]
fn forwarded_ports_reach_the_backend_with_absolute_addresses() {
    struct Shared(Rc<RefCell<RecordingBackend>>);
    impl HostPortBackend for Shared {
        fn name(&self) -> &str {
            "shared"
        }
        fn read(&mut self, port: u16, width: Width) -> Result<u32, BackendError> {
            self.0.borrow_mut().read(port, width)
        }
        fn write(&mut self, port: u16, width: Width, value: u32) -> Result<(), BackendError> {
            self.0.borrow_mut().write(port, width, value)
        }
    }
    let rec = Rc::new(RefCell::new(RecordingBackend::with_replies([0x5A])));
    let mut m = machine(Arch::X86);
    m.guest_mut().ports.add_forward(0x378, 0x37A, Box::new(Shared(rec.clone()))).unwrap();
    let r = run(&mut m, |a| {
        a.mov(edx, 0x378).unwrap();
        a.mov(al, 0xAA).unwrap();
        a.out(dx, al).unwrap();
        a.inc(edx).unwrap();
        a.in_(al, dx).unwrap();
        a.ret().unwrap();
    });
    assert_eq!(r.unwrap() & 0xFF, 0x5A);
    let log = rec.borrow().log.clone();
    assert_eq!(
        log,
        vec![
            Recorded { port: 0x378, width: Width::Byte, write: true, value: 0xAA },
            Recorded { port: 0x379, width: Width::Byte, write: false, value: 0x5A },
        ]
    );
    assert!(m.guest().trace.ports().all(|e| e.outcome == Outcome::Forwarded));
}

#[test]
fn overlapping_ranges_are_rejected() {
    let mut bus = PortBus::new();
    bus.add_device(0x40, 0x43, Box::new(Regs::default())).unwrap();
    let err = bus.add_policy(0x43, 0x50, "wide", Policy::Log).unwrap_err();
    assert_eq!(
        err,
        PortBusError::Overlap {
            first: 0x43,
            last: 0x50,
            name: "wide".into(),
            existing_first: 0x40,
            existing_last: 0x43,
            existing: "regs".into()
        }
    );
    assert!(matches!(bus.add_policy(0x50, 0x4F, "reversed", Policy::Log), Err(PortBusError::BadRange { .. })));
    // Adjacent is fine; removal frees the ports.
    let id = bus.add_policy(0x44, 0x47, "next", Policy::Log).unwrap();
    bus.remove(id).unwrap();
    bus.add_policy(0x44, 0x50, "again", Policy::Log).unwrap();
    assert_eq!(bus.ranges().iter().map(|r| r.first).collect::<Vec<_>>(), vec![0x40, 0x44]);
}

#[test]
fn unsupported_widths_are_split_or_answered_with_all_ones() {
    let mut bus = PortBus::new();
    let bytes_only = Regs { widths: Some(Widths::BYTE), ..Default::default() };
    bytes_only.regs.borrow_mut().copy_from_slice(&[0x11, 0x22, 0x33, 0x44, 0, 0, 0, 0]);
    bus.add_device(0x100, 0x107, Box::new(bytes_only.clone())).unwrap();
    // A dword read of a byte-only device becomes four byte reads, low port first.
    assert_eq!(bus.access(0x100, Width::Dword, false, 0), (0x4433_2211, Outcome::Emulated));
    let log: Vec<(u16, Width)> = bytes_only.log.borrow().iter().map(|l| (l.0, l.1)).collect();
    assert_eq!(log, vec![(0, Width::Byte), (1, Width::Byte), (2, Width::Byte), (3, Width::Byte)]);
    // A word write straddling the device's last port and an unclaimed one is split too.
    bytes_only.log.borrow_mut().clear();
    assert_eq!(bus.access(0x107, Width::Word, true, 0xBBAA).1, Outcome::Emulated);
    assert_eq!(bytes_only.log.borrow().as_slice(), &[(7, Width::Byte, true, 0xAA)]);
    // A dword-only device cannot take a byte: all-ones, reported.
    let dword_only = Regs { widths: Some(Widths::DWORD), ..Default::default() };
    bus.add_device(0x200, 0x203, Box::new(dword_only.clone())).unwrap();
    assert_eq!(bus.access(0x200, Width::Byte, false, 0), (0xFF, Outcome::WidthUnsupported));
    assert!(dword_only.log.borrow().is_empty());
    // Any denied port in a wide access denies all of it and performs nothing.
    bus.add_policy(0x108, 0x108, "deny", Policy::Deny).unwrap();
    bytes_only.log.borrow_mut().clear();
    assert_eq!(bus.access(0x107, Width::Word, true, 0).1, Outcome::Denied);
    assert!(bytes_only.log.borrow().is_empty());
}

#[test]
fn user_mode_is_checked_against_the_io_permission_map() {
    for arch in both() {
        let (mut m, dev) = with_device(arch, 0x378);
        let mut map = vec![0xFFu8; 0x2000];
        map[0x378 / 8] &= !(1 << (0x378 % 8)); // only 0x378
        m.set_io_permission_map(&map).unwrap();
        m.set_privilege(Privilege::User);
        let byte_ok = load(&mut m, |a| {
            a.mov(edx, 0x378).unwrap();
            a.mov(al, 1).unwrap();
            a.out(dx, al).unwrap();
            a.ret().unwrap();
        });
        m.call(byte_ok, &[], native(arch)).unwrap();
        assert_eq!(dev.log.borrow().len(), 1);
        // A word at 0x378 also touches 0x379, which is denied: #GP, nothing performed.
        let word = load(&mut m, |a| {
            a.mov(edx, 0x378).unwrap();
            a.out(dx, ax).unwrap();
            a.ret().unwrap();
        });
        let f = expect_fault(m.call(word, &[], native(arch)));
        assert_eq!(f.kind, FaultKind::GeneralProtection);
        assert_eq!(f.cpl, 3);
        assert!(f.reason.contains("I/O permission map"));
        assert_eq!(dev.log.borrow().len(), 1);
        let last = m.guest().trace.ports().last().copied().unwrap();
        assert_eq!((last.cpl, last.outcome), (3, Outcome::Denied));
        // IOPL 3 lets everything through.
        m.set_iopl(3);
        m.call(word, &[], native(arch)).unwrap();
        assert_eq!(dev.log.borrow().len(), 2);
        // Kernel-mode code is never checked against the map.
        m.set_iopl(0);
        m.set_privilege(Privilege::Kernel);
        m.call(word, &[], native(arch)).unwrap();
        assert_eq!(dev.log.borrow().len(), 3);
    }
}

#[test]
fn the_top_port_is_denied_past_the_map() {
    let mut m = machine(Arch::X64);
    m.guest_mut().ports.add_policy(0xFFFC, 0xFFFF, "top", Policy::Log).unwrap();
    let mut map = vec![0u8; 0x2000]; // everything allowed
    map[0x1FFF] = 0;
    m.set_io_permission_map(&map).unwrap();
    m.set_privilege(Privilege::User);
    let byte = load(&mut m, |a| {
        a.mov(edx, 0xFFFF).unwrap();
        a.in_(al, dx).unwrap();
        a.ret().unwrap();
    });
    m.call(byte, &[], CallConv::Win64).unwrap();
    // A word at 0xFFFF reaches bit 0x10000: the trailing 0xFF byte denies it.
    let word = load(&mut m, |a| {
        a.mov(edx, 0xFFFF).unwrap();
        a.in_(ax, dx).unwrap();
        a.ret().unwrap();
    });
    assert_eq!(expect_fault(m.call(word, &[], CallConv::Win64)).kind, FaultKind::GeneralProtection);
}

#[test]
fn untraced_runs_only_count() {
    let (mut m, dev) = with_device(Arch::X64, 0x60);
    m.guest_mut().trace.record_ports = false;
    run(&mut m, |a| {
        a.mov(ecx, 100).unwrap();
        let mut top = a.create_label();
        a.set_label(&mut top).unwrap();
        a.out(0x60, al).unwrap();
        a.dec(ecx).unwrap();
        a.jnz(top).unwrap();
        a.ret().unwrap();
    })
    .unwrap();
    assert_eq!(dev.log.borrow().len(), 100);
    assert_eq!(m.guest().trace.ports().count(), 0);
    assert_eq!(m.guest().trace.counters.port_accesses, 100);
}

#[test]
fn a_sink_receives_events_while_the_guest_runs() {
    let (mut m, _dev) = with_device(Arch::X86, 0x60);
    let seen = Rc::new(RefCell::new(Vec::new()));
    let s = seen.clone();
    m.guest_mut().trace.set_sink(16, move |batch| {
        s.borrow_mut().push(batch.len());
    });
    run(&mut m, |a| {
        a.mov(ecx, 40).unwrap();
        let mut top = a.create_label();
        a.set_label(&mut top).unwrap();
        a.out(0x61, al).unwrap();
        a.dec(ecx).unwrap();
        a.jnz(top).unwrap();
        a.ret().unwrap();
    })
    .unwrap();
    // Full batches go while the guest runs; the watchdog's 100 ms tick may hand one on
    // before it is full (so that a slow guest's events reach the file), never a larger one.
    let handed: usize = seen.borrow().iter().sum();
    assert!(seen.borrow().iter().all(|&n| (1..=16).contains(&n)), "{:?}", seen.borrow());
    assert_eq!(m.guest().trace.len(), 40 - handed);
    assert!(m.guest().trace.len() < 16, "a full batch is handed on at once");
    m.guest_mut().trace.flush();
    assert_eq!(seen.borrow().iter().sum::<usize>(), 40);
}
