//! 8254 PIT and port 0x61 through the bus, against the datasheet.
mod common;
use common::Board;
use portcullis_devices::pit::PIT_HZ;

fn read_count(b: &mut Board, ch: u16) -> u16 {
    b.out(0x43, (ch as u8) << 6); // latch
    let lo = b.inb(0x40 + ch) as u16;
    lo | (b.inb(0x40 + ch) as u16) << 8
}

#[test]
fn mode_2_counts_down_and_a_latch_freezes_the_value() {
    let mut b = Board::new();
    b.out(0x43, 0x34); // ch0, lsb/msb, mode 2
    b.out(0x40, 0x00);
    b.out(0x40, 0x10); // 4096
    let first = read_count(&mut b, 0);
    let second = read_count(&mut b, 0);
    assert!(first <= 4096 && second < first, "{first} then {second}");
    // Three accesses of 1 us between the two latches: ~3.6 ticks.
    assert!((3..=5).contains(&(first - second)), "{first} - {second}");
    // A latch holds until read, whatever time passes.
    b.out(0x43, 0x00);
    b.wait(1_000_000);
    let lo = b.inb(0x40) as u16;
    let hi = b.inb(0x40) as u16;
    assert!((lo | hi << 8) <= 4096 && (lo | hi << 8) > 4000);
}

#[test]
fn mode_0_output_rises_at_terminal_count_and_read_back_reports_it() {
    let mut b = Board::new();
    b.out(0x43, 0xB0); // ch2, lsb/msb, mode 0
    b.out(0x61, 0x01); // gate 2 on
    b.out(0x42, 100);
    b.out(0x42, 0);
    b.out(0x43, 0xE8); // read-back: status of ch2
    let status = b.inb(0x42);
    assert_eq!(status & 0x80, 0, "OUT low while counting");
    assert_eq!(status & 0x3F, 0x30, "lsb/msb, mode 0, binary");
    assert_eq!(b.inb(0x61) & 0x20, 0);
    b.wait(100 * 1_000_000_000 / PIT_HZ + 2000);
    assert_eq!(b.inb(0x61) & 0x20, 0x20, "OUT high after the count");
    b.out(0x43, 0xE8);
    assert_eq!(b.inb(0x42) & 0x80, 0x80);
}

#[test]
fn null_count_until_a_count_is_written_and_bcd_counts_in_decimal() {
    let mut b = Board::new();
    b.out(0x43, 0x91); // ch2, lsb only, mode 0, BCD
    b.out(0x43, 0xE8);
    assert_eq!(b.inb(0x42) & 0x40, 0x40, "null count");
    b.out(0x61, 0x01);
    b.out(0x42, 0x99); // 99 in BCD
    b.out(0x43, 0xE8);
    assert_eq!(b.inb(0x42) & 0x41, 0x01, "count loaded, BCD");
    b.out(0x43, 0x80);
    let v = b.inb(0x42);
    assert!(v & 0x0F <= 9 && v >> 4 <= 9, "BCD digits: {v:#x}");
    assert!(v < 0x99);
}

#[test]
fn the_gate_stops_mode_0_and_triggers_mode_1() {
    let mut b = Board::new();
    b.out(0x43, 0xB0);
    b.out(0x42, 0xFF);
    b.out(0x42, 0xFF);
    let a = read_count(&mut b, 2);
    b.wait(1_000_000);
    assert_eq!(read_count(&mut b, 2), a, "gate low: no counting");
    b.out(0x43, 0xB2); // mode 1
    b.out(0x42, 0x10);
    b.out(0x42, 0x00);
    b.out(0x43, 0xE8);
    assert_eq!(b.inb(0x42) & 0x80, 0x80, "mode 1 idles high");
    b.out(0x61, 0x01); // trigger
    b.out(0x43, 0xE8);
    assert_eq!(b.inb(0x42) & 0x80, 0, "triggered: low while counting");
    b.wait(100_000);
    b.out(0x43, 0xE8);
    assert_eq!(b.inb(0x42) & 0x80, 0x80);
}

#[test]
fn square_wave_output_toggles_and_refresh_bit_toggles() {
    let mut b = Board::new();
    b.out(0x43, 0xB6);
    b.out(0x42, 0xA9);
    b.out(0x42, 0x04); // 1193 -> 1000 Hz
    b.out(0x61, 0x01);
    let mut outs = std::collections::BTreeSet::new();
    let mut refresh = std::collections::BTreeSet::new();
    for _ in 0..200 {
        let v = b.inb(0x61);
        outs.insert(v & 0x20);
        refresh.insert(v & 0x10);
        b.wait(7_000);
    }
    assert_eq!(outs.len(), 2);
    assert_eq!(refresh.len(), 2);
}

#[test]
fn the_speaker_plays_tones_with_frequency_and_duration() {
    let mut b = Board::new();
    b.out(0x43, 0xB6);
    b.out(0x42, 0xA9);
    b.out(0x42, 0x04); // 1193
    let v = b.inb(0x61);
    b.out(0x61, v | 3);
    b.wait(100_000_000);
    b.out(0x61, v & !3);
    let tones = b.devices.pit.as_ref().unwrap().get().tones_until(b.now);
    assert_eq!(tones.len(), 1);
    assert!((tones[0].hz - 1000.15).abs() < 0.1, "{}", tones[0].hz);
    assert!((100_000_000..100_010_000).contains(&tones[0].duration_ns), "{}", tones[0].duration_ns);
}

#[test]
fn channel_0_raises_irq_0_through_the_pic() {
    let mut b = Board::new();
    b.out(0x21, 0xFE); // unmask IRQ 0
    b.out(0x43, 0x34);
    b.out(0x40, 0xA9);
    b.out(0x40, 0x04); // 1 kHz
    b.wait(1_500_000);
    let pic = b.devices.pic.clone().unwrap();
    assert_eq!(pic.get().requests() & 1, 1, "IRQ 0 requested");
    b.out(0x20, 0x0A); // read IRR
    assert_eq!(b.inb(0x20) & 1, 1);
    // A long wait does not loop per period: the callback runs once and reschedules.
    b.wait(10_000_000_000);
    assert!(b.devices.pit.as_ref().unwrap().get().irq0_pulses < 10);
}

#[test]
fn hostile_sequences_never_panic() {
    let mut b = Board::new();
    let mut x = 0x1234_5678u32;
    for _ in 0..20_000 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let port = [0x40, 0x41, 0x42, 0x43, 0x61][(x % 5) as usize];
        if x & 0x100 != 0 {
            b.out(port, (x >> 8) as u8);
        } else {
            b.inb(port);
        }
        if x & 0x7000 == 0 {
            b.wait((x >> 4) as u64 % 50_000_000);
        }
    }
}

#[test]
fn a_count_written_in_mode_2_waits_for_the_end_of_the_period() {
    let mut b = Board::new();
    b.out(0x43, 0x34); // ch0, lsb/msb, mode 2
    b.out(0x40, 0xE8);
    b.out(0x40, 0x03); // 1000
    b.wait(250_000); // ~298 ticks into the period
    b.out(0x40, 0x64);
    b.out(0x40, 0x00); // 100: the register takes it, the counting element does not yet
    let v = read_count(&mut b, 0);
    assert!((690..=705).contains(&v), "the period goes on with the old count: {v}");
    b.out(0x43, 0xE2); // read-back: status of ch0
    assert_eq!(b.inb(0x40) & 0x40, 0x40, "NULL COUNT until the new count is loaded");
    b.wait(700_000); // past the end of the first period (~838 us)
    b.out(0x43, 0xE2);
    assert_eq!(b.inb(0x40) & 0x40, 0, "loaded");
    assert!(read_count(&mut b, 0) <= 100, "the new period counts from 100");
}

#[test]
fn a_count_written_in_mode_3_takes_over_at_the_end_of_the_half_cycle_and_changes_the_tone() {
    let mut b = Board::new();
    b.out(0x43, 0xB6); // ch2, lsb/msb, mode 3
    b.out(0x42, 0xA9);
    b.out(0x42, 0x04); // 1193: 1000 Hz
    let v = b.inb(0x61);
    b.out(0x61, v | 3);
    b.wait(4_200_000); // 4.2 periods: in a high half-cycle (0.2 of a period in)
    let written = b.now;
    b.out(0x42, 0x52);
    b.out(0x42, 0x09); // 2386: 500 Hz, from the end of this high half (~0.3 ms on)
    b.wait(400_000);
    assert_eq!(b.inb(0x61) & 0x20, 0, "the new count starts with its low half-cycle");
    b.wait(1_000_000);
    assert_eq!(b.inb(0x61) & 0x20, 0x20, "high again after the 1 ms low half");
    b.wait(10_000_000);
    b.out(0x61, v & !3);
    let tones = b.devices.pit.as_ref().unwrap().get().tones_until(b.now);
    assert_eq!(tones.iter().map(|t| t.count).collect::<Vec<_>>(), [1193, 2386], "{tones:?}");
    // The 1000 Hz tone ends with its half-cycle, not at the write nor at the next access.
    let switch = tones[1].start_ns;
    assert_eq!(tones[0].start_ns + tones[0].duration_ns, switch);
    assert!(switch > written && switch - written < 400_000, "switched {} ns after the write", switch - written);
}

#[test]
fn a_count_written_during_a_mode_1_one_shot_waits_for_the_next_trigger() {
    let mut b = Board::new();
    b.out(0x43, 0xB2); // ch2, lsb/msb, mode 1
    b.out(0x42, 0xE8);
    b.out(0x42, 0x03); // 1000 ticks: ~838 us
    b.out(0x61, 0x01); // trigger
    b.wait(100_000);
    b.out(0x42, 0x0A);
    b.out(0x42, 0x00); // 10: not for this one-shot
    b.wait(100_000);
    b.out(0x43, 0xE8);
    assert_eq!(b.inb(0x42) & 0x80, 0, "still low: the one-shot keeps its count");
    b.wait(1_000_000);
    b.out(0x43, 0xE8);
    assert_eq!(b.inb(0x42) & 0x80, 0x80, "the one-shot ended");
    b.out(0x61, 0x00);
    b.out(0x61, 0x01); // a new trigger: 10 ticks now
    b.wait(20_000);
    b.out(0x43, 0xE8);
    assert_eq!(b.inb(0x42) & 0x80, 0x80, "a 10-tick one-shot is over after 20 us");
}
