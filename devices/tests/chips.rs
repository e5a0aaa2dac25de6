//! CMOS/RTC, PIC, UART, parallel port, 8042, POST, reset and DMA page registers through the
//! bus, against their datasheets.
mod common;
use common::Board;
use portcullis_emu::ports::Width;

fn cmos(b: &mut Board, i: u8) -> u8 {
    b.out(0x70, i);
    b.inb(0x71)
}

#[test]
fn rtc_shows_the_fixed_date_in_bcd_then_binary_and_12_hour() {
    let mut b = Board::new();
    assert_eq!([cmos(&mut b, 9), cmos(&mut b, 8), cmos(&mut b, 7), cmos(&mut b, 0x32)], [0x24, 0x01, 0x01, 0x20]);
    assert_eq!(cmos(&mut b, 6), 2, "Monday");
    b.wait(13 * 3600 * 1_000_000_000 + 5_000_000_000);
    assert_eq!(cmos(&mut b, 4), 0x13, "24-hour BCD");
    assert_eq!(cmos(&mut b, 0), 0x05);
    b.out(0x70, 0x0B);
    b.out(0x71, 0x06); // binary, 24-hour
    assert_eq!(cmos(&mut b, 4), 13);
    b.out(0x70, 0x0B);
    b.out(0x71, 0x04); // binary, 12-hour
    assert_eq!(cmos(&mut b, 4), 0x80 | 1, "1 PM");
}

#[test]
fn rtc_update_in_progress_follows_the_virtual_clock() {
    let mut b = Board::new();
    assert_eq!(cmos(&mut b, 0x0A) & 0x80, 0);
    // Up to 244 us before the next second.
    b.wait(1_000_000_000 - 200_000 - b.now);
    assert_eq!(cmos(&mut b, 0x0A) & 0x80, 0x80);
    b.wait(300_000);
    assert_eq!(cmos(&mut b, 0x0A) & 0x80, 0);
}

#[test]
fn rtc_set_freezes_writes_move_the_clock_and_the_checksum_holds() {
    let mut b = Board::new();
    b.out(0x70, 0x0B);
    b.out(0x71, 0x82); // SET, 24 h, BCD
    b.out(0x70, 0x09);
    b.out(0x71, 0x30); // year 2030
    b.wait(5_000_000_000);
    assert_eq!(cmos(&mut b, 0), 0x00, "frozen");
    b.out(0x70, 0x0B);
    b.out(0x71, 0x02);
    b.wait(2_000_000_000);
    assert_eq!(cmos(&mut b, 9), 0x30);
    assert_eq!(cmos(&mut b, 0), 0x02);
    assert!(b.devices.cmos.as_ref().unwrap().get().checksum_valid());
    // The NMI mask bit is not part of the index.
    b.out(0x70, 0x80 | 0x32);
    assert_eq!(b.inb(0x71), 0x20);
    assert!(b.devices.cmos.as_ref().unwrap().get().nmi_masked);
}

#[test]
fn rtc_periodic_interrupt_sets_flags_and_irq_8() {
    let mut b = Board::new();
    b.out(0xA1, 0xFE); // unmask IRQ 8
    b.out(0x70, 0x0B);
    b.out(0x71, 0x42); // PIE
    b.wait(2_000_000);
    assert_eq!(b.devices.pic.as_ref().unwrap().get().requests() & 0x100, 0x100);
    let c = cmos(&mut b, 0x0C);
    assert_eq!(c & 0xC0, 0xC0, "IRQF and PF: {c:#x}");
    assert_eq!(b.bus.irq_lines() & 0x100, 0, "reading C lowers the line");
}

#[test]
fn pic_initialisation_masks_and_eoi() {
    let mut b = Board::new();
    b.out(0x20, 0x11);
    b.out(0x21, 0x30);
    b.out(0x21, 0x04);
    b.out(0x21, 0x01);
    b.out(0x21, 0xFE); // only IRQ 0
    assert_eq!(b.inb(0x21), 0xFE);
    let pic = b.devices.pic.clone().unwrap();
    use portcullis_emu::ports::InterruptController;
    pic.get_mut().set_line(1, true, true);
    assert!(!pic.get().pending(), "IRQ 1 masked");
    pic.get_mut().set_line(0, true, true);
    assert_eq!(pic.get_mut().acknowledge(), Some((0, 0x30)));
    b.out(0x20, 0x0B);
    assert_eq!(b.inb(0x20), 1, "IRQ 0 in service");
    b.out(0x20, 0x20); // non-specific EOI
    assert_eq!(b.inb(0x20), 0);
    b.out(0x21, 0xFC);
    assert_eq!(pic.get_mut().acknowledge(), Some((1, 0x31)), "unmasked, the held request is served");
}

#[test]
fn uart_loopback_divisor_and_line_status() {
    let mut b = Board::new();
    b.out(0x3FB, 0x80);
    b.out(0x3F8, 0x01);
    b.out(0x3F9, 0x00);
    b.out(0x3FB, 0x03);
    assert_eq!(b.devices.uarts[0].as_ref().unwrap().get().baud(), 115_200);
    assert_eq!(b.inb(0x3FD), 0x60, "THRE and TEMT, no data");
    b.out(0x3FC, 0x10 | 0x0B); // loopback, OUT2, RTS, DTR
    assert_eq!(b.inb(0x3FE) & 0xF0, 0xB0, "CTS, DSR, DCD follow RTS, DTR, OUT2");
    b.out(0x3F8, 0x5A);
    assert_eq!(b.inb(0x3FD) & 1, 1);
    assert_eq!(b.inb(0x3F8), 0x5A);
    assert_eq!(b.inb(0x3FD) & 1, 0);
    b.out(0x3F8, 1);
    b.out(0x3F8, 2);
    assert_eq!(b.inb(0x3FD) & 2, 2, "overrun without FIFO");
    assert!(b.devices.uarts[0].as_ref().unwrap().get().output().is_empty(), "loopback sends nothing");
}

#[test]
fn uart_output_is_captured_and_input_raises_the_interrupt() {
    let mut b = Board::new();
    b.devices.uarts[1].as_ref().unwrap().get_mut().feed(b"hi");
    b.out(0x2FA, 0x07); // FIFO on, cleared
    b.out(0x2F9, 0x01); // received-data interrupt
    b.out(0x2FC, 0x08); // OUT2
    assert_eq!(b.inb(0x2FA), 0xC4, "received data (at the trigger level of 1), FIFOs on");
    assert_eq!(b.bus.irq_lines() & (1 << 3), 1 << 3);
    assert_eq!([b.inb(0x2F8), b.inb(0x2F8)], [b'h', b'i']);
    assert_eq!(b.inb(0x2FA), 0xC1);
    assert_eq!(b.bus.irq_lines() & (1 << 3), 0);
    for c in b"ok" {
        b.out(0x2F8, *c);
    }
    assert_eq!(b.devices.uarts[1].as_ref().unwrap().get().output(), b"ok");
}

#[test]
fn lpt_strobe_busy_ack_handshake_prints_bytes() {
    let mut b = Board::new();
    assert_eq!(b.inb(0x379), 0xDF, "idle printer");
    for &c in b"AB" {
        while b.inb(0x379) & 0x80 == 0 {}
        b.out(0x378, c);
        b.out(0x37A, 0x0D); // strobe
        b.out(0x37A, 0x0C);
        assert_eq!(b.inb(0x379) & 0x80, 0, "busy");
    }
    let mut saw_ack = false;
    for _ in 0..20 {
        saw_ack |= b.inb(0x379) & 0x40 == 0;
    }
    assert!(saw_ack);
    assert_eq!(b.devices.lpts[0].as_ref().unwrap().get().printed(), b"AB");
    // ECP: FIFO mode prints; the ECR reads its mode and an empty FIFO.
    b.out(0x77A, 0x40);
    assert_eq!(b.inb(0x77A) & 0xE1, 0x41);
    b.out(0x778, b'C');
    assert_eq!(b.devices.lpts[0].as_ref().unwrap().get().printed(), b"ABC");
    // EPP cycles are recorded.
    b.out(0x37B, 0x12);
    b.out(0x37C, 0x34);
    assert_eq!(b.devices.lpts[0].as_ref().unwrap().get().epp_cycles().len(), 2);
}

#[test]
fn kbc_self_test_a20_and_reset() {
    let mut b = Board::new();
    b.out(0x64, 0xAA);
    assert_eq!(b.inb(0x64) & 0x05, 0x05, "output full, system flag");
    assert_eq!(b.inb(0x60), 0x55);
    b.out(0x64, 0x20);
    assert_eq!(b.inb(0x60), 0x45);
    b.out(0x64, 0xDD);
    assert!(!b.devices.i8042.as_ref().unwrap().get().a20());
    b.out(0x64, 0xD1);
    b.out(0x60, 0xDF);
    assert!(b.devices.i8042.as_ref().unwrap().get().a20());
    b.out(0x60, 0xF2); // identify
    assert_eq!([b.inb(0x60), b.inb(0x60), b.inb(0x60)], [0xFA, 0xAB, 0x83]);
    assert!(b.bus.take_reset().is_none());
    b.out(0x64, 0xFE);
    assert!(b.bus.take_reset().unwrap().what.contains("keyboard controller"));
}

#[test]
fn scripted_keystrokes_arrive_with_irq_1() {
    let mut b = Board::new();
    let kbc = portcullis_devices::i8042::I8042::new(&[0x1E, 0x9E]);
    let mut bus = portcullis_emu::ports::PortBus::new();
    bus.set_clock_rate(1_000_000_000);
    let mut d = portcullis_devices::Devices::default();
    d.attach_i8042(&mut bus, kbc, false).unwrap();
    d.install_defaults(&mut bus, &Default::default());
    b.bus = bus;
    b.devices = d;
    b.out(0x21, 0xFD);
    assert_eq!(b.inb(0x64) & 1, 1);
    assert_eq!(b.bus.irq_lines() & 2, 2);
    assert_eq!(b.inb(0x60), 0x1E);
    b.wait(20_000_000);
    assert_eq!(b.inb(0x60), 0x9E);
    assert_eq!(b.devices.i8042.as_ref().unwrap().get().keys_left(), 0);
}

#[test]
fn post_codes_reset_ports_and_dma_pages() {
    let mut b = Board::new();
    b.out(0x80, 0x12);
    b.out(0x80, 0x34);
    assert_eq!(b.inb(0x80), 0x34);
    let codes: Vec<u8> = b.devices.post.as_ref().unwrap().get().codes().iter().map(|c| c.value).collect();
    assert_eq!(codes, [0x12, 0x34]);
    b.out(0x87, 0x05);
    assert_eq!(b.devices.dma_pages.as_ref().unwrap().get().page(0), 5);
    assert_eq!(b.inb(0x87), 5);
    assert_eq!(b.inb(0x92), 0x02);
    b.out(0x92, 0x03);
    assert!(b.bus.take_reset().unwrap().what.contains("fast reset"));
    // Words split into bytes across chips.
    assert_eq!(b.bus.access(0x80, Width::Word, false, 0).0 & 0xFF00, 0x0000, "0x81 is a page register");
}

#[test]
fn hostile_sequences_on_every_chip_never_panic() {
    let mut b = Board::new();
    let ports: Vec<u16> = [0x20u16, 0x21, 0xA0, 0xA1, 0x60, 0x64, 0x70, 0x71, 0x80, 0x92]
        .into_iter()
        .chain(0x3F8..0x400)
        .chain(0x378..0x380)
        .chain(0x778..0x77B)
        .collect();
    let mut x = 0x9E37_79B9u32;
    for _ in 0..50_000 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let port = ports[x as usize % ports.len()];
        if port == 0x92 || port == 0x64 {
            continue; // resets end nothing here, but keep the sequence busy elsewhere
        }
        if x & 0x100 != 0 {
            b.out(port, (x >> 9) as u8);
        } else {
            b.inb(port);
        }
        if x & 0xF000 == 0 {
            b.wait((x >> 4) as u64 % 3_000_000_000);
        }
        let _ = b.bus.take_reset();
    }
}
