//! The Value Change Dump: one signal per port accessed and per device register (MMIO)
//! accessed (its value at each access that changes it), the parallel port's data, status and control lines as bits (as the wires
//! carry them: BUSY, nACK, nSTROBE, ... with the register's inversions undone), the
//! speaker's output as a bit and its frequency; `$timescale 1ns`, time from the virtual
//! clock. Accesses are already in time order; the speaker's edges are merged into them.

use std::io::{self, Write};

use ::vcd::{IdCode, TimescaleUnit, Value, Writer};

use super::{lpt_bases, Activity};

/// Speaker edges written at most (a long high tone would otherwise write millions).
const MAX_SPEAKER_EDGES: u64 = 2_000_000;

/// (name, register offset, bit, inverted on the wire) of each parallel-port line.
const LPT_LINES: [(&str, u16, u8, bool); 17] = [
    ("d0", 0, 0, false),
    ("d1", 0, 1, false),
    ("d2", 0, 2, false),
    ("d3", 0, 3, false),
    ("d4", 0, 4, false),
    ("d5", 0, 5, false),
    ("d6", 0, 6, false),
    ("d7", 0, 7, false),
    ("nerror", 1, 3, false),
    ("select", 1, 4, false),
    ("pe", 1, 5, false),
    ("nack", 1, 6, false),
    ("busy", 1, 7, true),
    ("nstrobe", 2, 0, true),
    ("nautofd", 2, 1, true),
    ("ninit", 2, 2, false),
    ("nselectin", 2, 3, true),
];

fn bits(value: u32, width: u32) -> impl Iterator<Item = Value> {
    (0..width).rev().map(move |i| if value >> i & 1 != 0 { Value::V1 } else { Value::V0 })
}

/// A parallel port's lines: a signal per wire, found from the register and bit it is in.
struct Lpt {
    base: u16,
    lines: Vec<Signal>,
    /// For each register (data, status, control) and bit: the line's index in `lines`, and
    /// whether the register holds it inverted.
    wires: [[Option<(usize, bool)>; 8]; 3],
}

/// A signal and its last value written (changes only are dumped).
struct Signal {
    id: IdCode,
    /// The identifier as the dump writes it, rendered once.
    code: String,
    width: u32,
    last: u32,
}

impl Signal {
    fn new(id: IdCode, width: u32) -> Signal {
        Signal { id, code: id.to_string(), width, last: 0 }
    }
}

/// The value and time lines, the bulk of a dump, formatted here into one buffer (the `vcd`
/// writer formats every bit and identifier character on its own, ~20x slower) in exactly
/// its syntax — `#123` for a time, `0!` for a bit, `b0101 !` for a vector — and flushed
/// through the writer's output. The header goes through the writer. A dump has a time line
/// and a vector for nearly every access, so both are table-driven (a division per digit or a
/// push per bit cost ~100 ns an access).
struct Lines {
    buf: Vec<u8>,
    now: u64,
    time: itoa::Buffer,
}

/// Each byte value as the eight `0`/`1` characters a vector spells it with, high bit first.
static BYTE_BITS: [[u8; 8]; 256] = {
    let mut table = [[b'0'; 8]; 256];
    let mut v = 0;
    while v < 256 {
        let mut i = 0;
        while i < 8 {
            if v >> (7 - i) & 1 != 0 {
                table[v][i] = b'1';
            }
            i += 1;
        }
        v += 1;
    }
    table
};

/// Appends a few bytes (digits, an identifier): byte by byte, which is faster at these
/// lengths than the library copy `extend_from_slice` calls.
fn short(buf: &mut Vec<u8>, bytes: &[u8]) {
    for &b in bytes {
        buf.push(b);
    }
}

impl Lines {
    fn new() -> Lines {
        Lines { buf: Vec::with_capacity(1 << 17), now: 0, time: itoa::Buffer::new() }
    }

    fn time(&mut self, t: u64) {
        if t != self.now {
            self.now = t;
            self.buf.push(b'#');
            short(&mut self.buf, self.time.format(t).as_bytes());
            self.buf.push(b'\n');
        }
    }

    /// A change of `s` to `value` at `t` (nothing when the value is the same).
    fn change(&mut self, t: u64, s: &mut Signal, value: u32) {
        if s.last == value {
            return;
        }
        s.last = value;
        self.time(t);
        if s.width == 1 {
            self.buf.push(b'0' + (value != 0) as u8);
        } else {
            self.buf.push(b'b');
            // Whole bytes from the table; a width that is not a multiple of 8 (none today)
            // spells its top bits one by one.
            let whole = s.width / 8;
            for i in (whole * 8..s.width).rev() {
                self.buf.push(b'0' + (value >> i & 1) as u8);
            }
            for byte in (0..whole).rev() {
                self.buf.extend_from_slice(&BYTE_BITS[(value >> (byte * 8)) as usize & 0xFF]);
            }
            self.buf.push(b' ');
        }
        short(&mut self.buf, s.code.as_bytes());
        self.buf.push(b'\n');
    }

    fn flush_into<W: Write>(&mut self, w: &mut Writer<W>) -> io::Result<()> {
        if self.buf.len() >= 1 << 16 {
            w.writer().write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }
}

pub fn write_vcd(activity: &Activity, out: impl Write) -> io::Result<()> {
    let mut w = Writer::new(out);
    w.comment("portcullis: port accesses on the virtual clock")?;
    w.timescale(1, TimescaleUnit::NS)?;
    w.add_module("portcullis")?;
    w.add_module("ports")?;
    // Port -> its signal, looked up per access without hashing.
    let mut by_port: Vec<Option<Signal>> = (0..0x10000).map(|_| None).collect();
    for (port, bytes) in activity.ports() {
        let width = bytes as u32 * 8;
        let id = w.add_wire(width, &format!("port_{port:04x}"))?;
        by_port[port as usize] = Some(Signal::new(id, width));
    }
    w.upscope()?;
    let mut registers: std::collections::BTreeMap<u64, Signal> = std::collections::BTreeMap::new();
    if !activity.mmio.is_empty() {
        w.add_module("mmio")?;
        for (address, bytes) in activity.registers() {
            let width = bytes as u32 * 8;
            registers.insert(address, Signal::new(w.add_wire(width, &format!("mmio_{address:x}"))?, width));
        }
        w.upscope()?;
    }
    let mut lpts: Vec<Lpt> = Vec::new();
    for base in lpt_bases(activity) {
        w.add_module(&format!("lpt_{base:03x}"))?;
        let mut lpt = Lpt { base, lines: Vec::new(), wires: [[None; 8]; 3] };
        for (i, (name, reg, bit, inverted)) in LPT_LINES.iter().enumerate() {
            lpt.lines.push(Signal::new(w.add_wire(1, name)?, 1));
            lpt.wires[*reg as usize][*bit as usize] = Some((i, *inverted));
        }
        w.upscope()?;
        lpts.push(lpt);
    }
    w.add_module("speaker")?;
    let mut speaker = Signal::new(w.add_wire(1, "out")?, 1);
    let mut speaker_hz = Signal::new(w.add_wire(32, "hz")?, 32);
    w.upscope()?;
    w.upscope()?;
    w.enddefinitions()?;

    // The speaker's changes, in time order: (time, is the frequency signal, value).
    let mut tones = activity.tones.clone();
    tones.sort_by_key(|t| t.start_ns);
    let mut speaker_changes: Vec<(u64, bool, u32)> = Vec::new();
    let mut edges = 0u64;
    for t in &tones {
        speaker_changes.push((t.start_ns, true, t.hz.round() as u32));
        let half = (1e9 / t.hz / 2.0).max(1.0);
        let n = ((t.duration_ns as f64 / half) as u64).min(MAX_SPEAKER_EDGES.saturating_sub(edges));
        edges += n;
        for k in 0..n {
            speaker_changes.push((t.start_ns + (k as f64 * half) as u64, false, (k % 2 == 0) as u32));
        }
        let end = t.start_ns + t.duration_ns;
        speaker_changes.push((end, false, 0));
        speaker_changes.push((end, true, 0));
    }
    speaker_changes.sort_by_key(|c| c.0);

    // Everything starts low at time 0.
    w.timestamp(0)?;
    for s in by_port.iter().flatten().chain(registers.values()) {
        w.change_vector(s.id, bits(0, s.width))?;
    }
    for lpt in &lpts {
        for s in &lpt.lines {
            w.change_scalar(s.id, Value::V0)?;
        }
    }
    w.change_scalar(speaker.id, Value::V0)?;
    w.change_vector(speaker_hz.id, bits(0, 32))?;

    let mut out = Lines::new();
    let mut sc = speaker_changes.into_iter().peekable();
    let mut mc = activity.mmio.iter().peekable();
    for a in &activity.accesses {
        while let Some((t, hz, v)) = sc.next_if(|c| c.0 <= a.time_ns) {
            out.change(t, if hz { &mut speaker_hz } else { &mut speaker }, v);
        }
        while let Some(m) = mc.next_if(|m| m.time_ns <= a.time_ns) {
            if let Some(s) = registers.get_mut(&m.address) {
                out.change(m.time_ns, s, m.value);
            }
        }
        if let Some(s) = by_port[a.port as usize].as_mut() {
            out.change(a.time_ns, s, a.value);
        }
        for Lpt { base, lines, wires } in lpts.iter_mut() {
            let offset = a.port.wrapping_sub(*base);
            if offset <= 2 {
                for (bit, wire) in wires[offset as usize].iter().enumerate() {
                    if let Some((line, inverted)) = *wire {
                        let level = (a.value >> bit & 1 != 0) != inverted;
                        out.change(a.time_ns, &mut lines[line], level as u32);
                    }
                }
            }
        }
        out.flush_into(&mut w)?;
    }
    // What is left of the speaker and MMIO changes, merged by time.
    loop {
        let next_speaker = sc.peek().map(|c| c.0);
        let next_mmio = mc.peek().map(|m| m.time_ns);
        match (next_speaker, next_mmio) {
            (Some(a), b) if b.is_none_or(|b| a <= b) => {
                let (t, hz, v) = sc.next().expect("peeked");
                out.change(t, if hz { &mut speaker_hz } else { &mut speaker }, v);
            }
            (_, Some(_)) => {
                let m = mc.next().expect("peeked");
                if let Some(s) = registers.get_mut(&m.address) {
                    out.change(m.time_ns, s, m.value);
                }
            }
            _ => break,
        }
    }
    if activity.end_ns > out.now {
        out.time(activity.end_ns);
    }
    w.writer().write_all(&out.buf)?;
    w.flush()
}
