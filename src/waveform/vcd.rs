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
    /// The identifier as the dump writes it after a value, with the line's end: rendered
    /// once, `code_len` bytes of `code`.
    code: [u8; 16],
    code_len: usize,
    width: u32,
    last: u32,
}

impl Signal {
    fn new(id: IdCode, width: u32) -> Signal {
        let text = id.to_string();
        let mut code = [b'\n'; 16];
        // An identifier is at most 10 characters (base 94 of a u64).
        let n = text.len().min(15);
        code[..n].copy_from_slice(&text.as_bytes()[..n]);
        Signal { id, code, code_len: n + 1, width, last: 0 }
    }
}

/// The value and time lines, the bulk of a dump, formatted here into one buffer (the `vcd`
/// writer formats every bit and identifier character on its own, ~20x slower) in exactly
/// its syntax — `#123` for a time, `0!` for a bit, `b0101 !` for a vector — and flushed
/// through the writer's output. The header goes through the writer. A dump has a time line
/// and a vector for nearly every access, so each change is written into a fixed window of
/// the buffer with table lookups and fixed-size copies (pushing byte by byte, or a library
/// copy per piece, cost ~50-100 ns an access).
struct Lines {
    /// The formatted lines are `buf[..len]`; past them, at least `ROOM` bytes of room.
    buf: Vec<u8>,
    len: usize,
    now: u64,
}

/// Room for the longest change: a time line (22 bytes) and a 32-bit vector with its
/// identifier (50).
const ROOM: usize = 128;

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

/// `v` in decimal at the start of `dst`; returns how many digits.
fn decimal(v: u64, dst: &mut [u8; 20]) -> usize {
    let n = v.checked_ilog10().unwrap_or(0) as usize + 1;
    let mut rest = v;
    for d in dst[..n].iter_mut().rev() {
        *d = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    n
}

impl Lines {
    fn new() -> Lines {
        Lines { buf: vec![0; (1 << 17) + ROOM], len: 0, now: 0 }
    }

    /// The window the next change is written into (the buffer grows when many changes come
    /// between two flushes).
    fn room(&mut self) -> &mut [u8; ROOM] {
        if self.buf.len() - self.len < ROOM {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        let at = self.len;
        (&mut self.buf[at..at + ROOM]).try_into().expect("ROOM bytes are left")
    }

    /// A time line for `t` into `r` unless `t` is the current time; returns its length.
    fn time_into(&mut self, t: u64) -> usize {
        if t == self.now {
            return 0;
        }
        self.now = t;
        let r = self.room();
        r[0] = b'#';
        let n = 1 + decimal(t, (&mut r[1..21]).try_into().expect("20 bytes"));
        r[n] = b'\n';
        n + 1
    }

    fn time(&mut self, t: u64) {
        self.len += self.time_into(t);
    }

    /// A change of `s` to `value` at `t` (nothing when the value is the same).
    fn change(&mut self, t: u64, s: &mut Signal, value: u32) {
        if s.last == value {
            return;
        }
        s.last = value;
        let mut n = self.time_into(t);
        let r = self.room();
        let r = &mut r[n..];
        n += if s.width == 1 {
            r[0] = b'0' + (value != 0) as u8;
            r[1..17].copy_from_slice(&s.code);
            1 + s.code_len
        } else {
            r[0] = b'b';
            let mut k = 1;
            // Whole bytes from the table; a width that is not a multiple of 8 (none today)
            // spells its top bits one by one.
            let whole = s.width / 8;
            for i in (whole * 8..s.width).rev() {
                r[k] = b'0' + (value.checked_shr(i).unwrap_or(0) & 1) as u8;
                k += 1;
            }
            for byte in (0..whole).rev() {
                r[k..k + 8].copy_from_slice(&BYTE_BITS[value.checked_shr(byte * 8).unwrap_or(0) as usize & 0xFF]);
                k += 8;
            }
            r[k] = b' ';
            r[k + 1..k + 17].copy_from_slice(&s.code);
            k + 1 + s.code_len
        };
        self.len += n;
    }

    fn flush_into<W: Write>(&mut self, w: &mut Writer<W>) -> io::Result<()> {
        if self.len >= 1 << 16 {
            w.writer().write_all(&self.buf[..self.len])?;
            self.len = 0;
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
    // The next speaker and MMIO change to write (indices: a peekable iterator's copy of the
    // peeked item cost a store-forwarding stall per access).
    let (mut sc, mut mc) = (0, 0);
    let mmio = &activity.mmio;
    for a in &activity.accesses {
        while let Some(&(t, hz, v)) = speaker_changes.get(sc).filter(|c| c.0 <= a.time_ns) {
            out.change(t, if hz { &mut speaker_hz } else { &mut speaker }, v);
            sc += 1;
        }
        while let Some(m) = mmio.get(mc).filter(|m| m.time_ns <= a.time_ns) {
            if let Some(s) = registers.get_mut(&m.address) {
                out.change(m.time_ns, s, m.value);
            }
            mc += 1;
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
        let next_speaker = speaker_changes.get(sc).map(|c| c.0);
        let next_mmio = mmio.get(mc).map(|m| m.time_ns);
        match (next_speaker, next_mmio) {
            (Some(a), b) if b.is_none_or(|b| a <= b) => {
                let (t, hz, v) = speaker_changes[sc];
                out.change(t, if hz { &mut speaker_hz } else { &mut speaker }, v);
                sc += 1;
            }
            (_, Some(_)) => {
                let m = &mmio[mc];
                if let Some(s) = registers.get_mut(&m.address) {
                    out.change(m.time_ns, s, m.value);
                }
                mc += 1;
            }
            _ => break,
        }
    }
    if activity.end_ns > out.now {
        out.time(activity.end_ns);
    }
    w.writer().write_all(&out.buf[..out.len])?;
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_written_whole() {
        for v in [0u64, 7, 10, 99, 100, 1_234_567_890_123, u64::MAX] {
            let mut d = [0u8; 20];
            let n = decimal(v, &mut d);
            assert_eq!(&d[..n], v.to_string().as_bytes());
        }
    }

    #[test]
    fn changes_are_written_in_vcd_syntax() {
        let mut out = Lines::new();
        let mut bit = Signal::new(IdCode::FIRST, 1);
        let mut byte = Signal::new(IdCode::FIRST.next(), 8);
        let mut word = Signal::new(IdCode::FIRST.next().next(), 16);
        out.change(5, &mut byte, 0xA5);
        out.change(5, &mut bit, 1);
        out.change(5, &mut bit, 1); // no change, nothing written
        out.change(12, &mut word, 0x8001);
        out.time(40);
        out.time(40);
        let text = String::from_utf8(out.buf[..out.len].to_vec()).unwrap();
        assert_eq!(text, "#5\nb10100101 \"\n1!\n#12\nb1000000000000001 #\n#40\n");
    }
}
