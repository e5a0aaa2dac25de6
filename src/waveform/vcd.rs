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
#[derive(Clone)]
struct Lpt {
    base: u16,
    lines: Vec<Signal>,
    /// The wires of each register (data, status, control).
    registers: [Wires; 3],
}

/// The wires one register's bits drive: an access writes only the lines whose level changed
/// (a byte written to the data register moves about half its eight lines).
#[derive(Clone, Copy, Default)]
struct Wires {
    /// Bits that carry a line.
    present: u8,
    /// Bits the register holds inverted from the wire's level.
    inverted: u8,
    /// Each bit's line (index in `Lpt::lines`).
    line: [u8; 8],
    /// The lines' levels as last written, one bit each (all start low).
    levels: u8,
}

impl Wires {
    /// The lines whose level changes when the register reads `value`: (line, level), lowest
    /// bit first.
    fn changes(&mut self, value: u32) -> impl Iterator<Item = (usize, u32)> + use<> {
        let levels = (value as u8 ^ self.inverted) & self.present;
        let mut changed = levels ^ self.levels;
        self.levels = levels;
        let line = self.line;
        std::iter::from_fn(move || {
            if changed == 0 {
                return None;
            }
            let bit = changed.trailing_zeros();
            changed &= changed - 1;
            Some((line[bit as usize] as usize, (levels >> bit & 1) as u32))
        })
    }
}

/// A signal and its last value written (changes only are dumped).
#[derive(Clone)]
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
    /// The milliseconds of the last time written and their digits: consecutive times mostly
    /// share them, so a time line formats only its last six digits.
    ms: u64,
    ms_text: [u8; 20],
    ms_len: usize,
}

/// What an access to a parallel-port register takes in a dump, about: its time line, the
/// register's vector and the lines it moves.
const BYTES_PER_ACCESS: usize = 40;

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

/// Each number below 100 as two decimal digits.
static TWO_DIGITS: [[u8; 2]; 100] = {
    let mut table = [[b'0'; 2]; 100];
    let mut v = 0;
    while v < 100 {
        table[v] = [b'0' + (v / 10) as u8, b'0' + (v % 10) as u8];
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
    #[cfg(test)]
    fn new() -> Lines {
        Lines::starting_at(0)
    }

    /// Lines that follow one written at `now`.
    fn starting_at(now: u64) -> Lines {
        Lines { buf: vec![0; 1 << 16], len: 0, now, ms: u64::MAX, ms_text: [0; 20], ms_len: 0 }
    }

    /// Empties the buffer (keeping its memory: fresh pages cost a fault each) for lines that
    /// follow one written at `now`, with room for about `accesses` accesses.
    fn restart(&mut self, now: u64, accesses: usize) {
        self.len = 0;
        self.now = now;
        self.ms = u64::MAX;
        let room = accesses.saturating_mul(BYTES_PER_ACCESS).saturating_add(ROOM);
        if self.buf.len() < room {
            self.buf.resize(room, 0);
        }
    }

    /// The window the next change is written into (the buffer grows when many changes come
    /// between two flushes).
    #[inline(always)]
    fn room(&mut self) -> &mut [u8; ROOM] {
        if self.buf.len() - self.len < ROOM {
            self.grow();
        }
        let at = self.len;
        (&mut self.buf[at..at + ROOM]).try_into().expect("ROOM bytes are left")
    }

    #[cold]
    fn grow(&mut self) {
        self.buf.resize(self.buf.len() * 2, 0);
    }

    /// A time line for `t` into `r` unless `t` is the current time; returns its length.
    #[inline(always)]
    fn time_into(&mut self, t: u64) -> usize {
        if t == self.now {
            return 0;
        }
        self.now = t;
        if t < 1_000_000 {
            let r = self.room();
            r[0] = b'#';
            let n = 1 + decimal(t, (&mut r[1..21]).try_into().expect("20 bytes"));
            r[n] = b'\n';
            return n + 1;
        }
        let (ms, within) = (t / 1_000_000, (t % 1_000_000) as usize);
        if ms != self.ms {
            self.ms = ms;
            self.ms_len = decimal(ms, &mut self.ms_text);
        }
        let (text, n) = (self.ms_text, 1 + self.ms_len);
        let r = self.room();
        r[0] = b'#';
        r[1..21].copy_from_slice(&text);
        r[n..n + 2].copy_from_slice(&TWO_DIGITS[within / 10_000]);
        r[n + 2..n + 4].copy_from_slice(&TWO_DIGITS[within / 100 % 100]);
        r[n + 4..n + 6].copy_from_slice(&TWO_DIGITS[within % 100]);
        r[n + 6] = b'\n';
        n + 7
    }

    fn time(&mut self, t: u64) {
        self.len += self.time_into(t);
    }

    /// A change of `s` to `value` at `t` (nothing when the value is the same).
    #[inline(always)]
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
}

/// Accesses formatted as one piece: a chunk's text is kept whole until written, and chunks
/// are what the workers share out.
const CHUNK: usize = 1 << 14;

/// Workers formatting chunks at once, at most.
const MAX_WORKERS: usize = 4;

/// Where a change goes: formatted ([`Lines`]) or only remembered, to learn the state a later
/// chunk starts from ([`Dry`]).
trait Sink {
    fn change(&mut self, t: u64, s: &mut Signal, value: u32);
}

impl Sink for Lines {
    #[inline(always)]
    fn change(&mut self, t: u64, s: &mut Signal, value: u32) {
        Lines::change(self, t, s, value)
    }
}

/// Changes followed without writing them: the last values and the time they leave.
struct Dry {
    now: u64,
}

impl Sink for Dry {
    #[inline(always)]
    fn change(&mut self, t: u64, s: &mut Signal, value: u32) {
        if s.last != value {
            s.last = value;
            self.now = t;
        }
    }
}

/// Every signal with its last value, and how far the speaker's and the MMIO changes have
/// been merged in: what the dump of a stretch of accesses starts from.
#[derive(Clone)]
struct Signals {
    ports: Vec<Signal>,
    registers: Vec<Signal>,
    lpts: Vec<Lpt>,
    speaker: Signal,
    speaker_hz: Signal,
    /// The next speaker change and MMIO change to write (indices: a peekable iterator's copy
    /// of the peeked item cost a store-forwarding stall per access).
    next_speaker: usize,
    next_mmio: usize,
    /// The time of the last line written.
    now: u64,
}

/// What every stretch of the dump is written against.
struct Plan<'a> {
    /// Port -> index of its signal (`u32::MAX`: never accessed), looked up without hashing.
    port_signal: Vec<u32>,
    /// Device register address -> index of its signal.
    register_signal: std::collections::BTreeMap<u64, usize>,
    /// The speaker's changes in time order: (time, is the frequency signal, value).
    speaker: Vec<(u64, bool, u32)>,
    mmio: &'a [portcullis_emu::physical::timed::MmioChange],
}

impl Plan<'_> {
    /// The changes of `accesses`, with the speaker's and MMIO changes that come before each.
    fn accesses<S: Sink>(&self, st: &mut Signals, accesses: &[portcullis_emu::ports::TimedAccess], out: &mut S) {
        for a in accesses {
            while let Some(&(t, hz, v)) = self.speaker.get(st.next_speaker).filter(|c| c.0 <= a.time_ns) {
                out.change(t, if hz { &mut st.speaker_hz } else { &mut st.speaker }, v);
                st.next_speaker += 1;
            }
            while let Some(m) = self.mmio.get(st.next_mmio).filter(|m| m.time_ns <= a.time_ns) {
                if let Some(&i) = self.register_signal.get(&m.address) {
                    out.change(m.time_ns, &mut st.registers[i], m.value);
                }
                st.next_mmio += 1;
            }
            if let Some(s) = st.ports.get_mut(self.port_signal[a.port as usize] as usize) {
                out.change(a.time_ns, s, a.value);
            }
            for Lpt { base, lines, registers } in st.lpts.iter_mut() {
                let offset = a.port.wrapping_sub(*base);
                if offset <= 2 {
                    for (line, level) in registers[offset as usize].changes(a.value) {
                        out.change(a.time_ns, &mut lines[line], level);
                    }
                }
            }
        }
    }

    /// What is left of the speaker's and MMIO changes after the last access, merged by time.
    fn rest(&self, st: &mut Signals, out: &mut Lines) {
        loop {
            let next_speaker = self.speaker.get(st.next_speaker).map(|c| c.0);
            let next_mmio = self.mmio.get(st.next_mmio).map(|m| m.time_ns);
            match (next_speaker, next_mmio) {
                (Some(a), b) if b.is_none_or(|b| a <= b) => {
                    let (t, hz, v) = self.speaker[st.next_speaker];
                    out.change(t, if hz { &mut st.speaker_hz } else { &mut st.speaker }, v);
                    st.next_speaker += 1;
                }
                (_, Some(_)) => {
                    let m = &self.mmio[st.next_mmio];
                    if let Some(&i) = self.register_signal.get(&m.address) {
                        out.change(m.time_ns, &mut st.registers[i], m.value);
                    }
                    st.next_mmio += 1;
                }
                _ => break,
            }
        }
    }

    /// One chunk formatted into `out` from the state it starts in; the state it ends in.
    fn format(&self, mut st: Signals, chunk: &[portcullis_emu::ports::TimedAccess], out: &mut Lines) -> Signals {
        out.restart(st.now, chunk.len());
        self.accesses(&mut st, chunk, out);
        st.now = out.now;
        st
    }
}

/// The dump of `activity` into `out`. A long run's accesses are formatted on several threads
/// (one once the process is confined: [`crate::confine::worker_threads`]).
pub fn write_vcd(activity: &Activity, out: impl Write) -> io::Result<()> {
    let workers = crate::confine::worker_threads().min(MAX_WORKERS);
    write_vcd_in(activity, out, CHUNK, workers)
}

/// [`write_vcd`] with the accesses cut in chunks of `chunk`, up to `workers` formatted at
/// once (the dump is the same, byte for byte, however they are cut and shared out).
fn write_vcd_in(activity: &Activity, out: impl Write, chunk: usize, workers: usize) -> io::Result<()> {
    let mut w = Writer::new(out);
    w.comment("portcullis: port accesses on the virtual clock")?;
    w.timescale(1, TimescaleUnit::NS)?;
    w.add_module("portcullis")?;
    w.add_module("ports")?;
    let mut port_signal = vec![u32::MAX; 0x10000];
    let mut port_signals = Vec::new();
    let ports = activity.ports();
    for &(port, bytes) in &ports {
        let width = bytes as u32 * 8;
        let id = w.add_wire(width, &format!("port_{port:04x}"))?;
        port_signal[port as usize] = port_signals.len() as u32;
        port_signals.push(Signal::new(id, width));
    }
    w.upscope()?;
    let mut register_signal = std::collections::BTreeMap::new();
    let mut registers = Vec::new();
    if !activity.mmio.is_empty() {
        w.add_module("mmio")?;
        for (address, bytes) in activity.registers() {
            let width = bytes as u32 * 8;
            register_signal.insert(address, registers.len());
            registers.push(Signal::new(w.add_wire(width, &format!("mmio_{address:x}"))?, width));
        }
        w.upscope()?;
    }
    let mut lpts: Vec<Lpt> = Vec::new();
    for base in lpt_bases(&ports) {
        w.add_module(&format!("lpt_{base:03x}"))?;
        let mut lpt = Lpt { base, lines: Vec::new(), registers: [Wires::default(); 3] };
        for (i, (name, reg, bit, inverted)) in LPT_LINES.iter().enumerate() {
            lpt.lines.push(Signal::new(w.add_wire(1, name)?, 1));
            let wires = &mut lpt.registers[*reg as usize];
            wires.present |= 1 << bit;
            wires.inverted |= (*inverted as u8) << bit;
            wires.line[*bit as usize] = i as u8;
        }
        w.upscope()?;
        lpts.push(lpt);
    }
    w.add_module("speaker")?;
    let speaker = Signal::new(w.add_wire(1, "out")?, 1);
    let speaker_hz = Signal::new(w.add_wire(32, "hz")?, 32);
    w.upscope()?;
    w.upscope()?;
    w.enddefinitions()?;

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
    for s in port_signals.iter().chain(&registers) {
        w.change_vector(s.id, bits(0, s.width))?;
    }
    for lpt in &lpts {
        for s in &lpt.lines {
            w.change_scalar(s.id, Value::V0)?;
        }
    }
    w.change_scalar(speaker.id, Value::V0)?;
    w.change_vector(speaker_hz.id, bits(0, 32))?;

    let plan = Plan { port_signal, register_signal, speaker: speaker_changes, mmio: &activity.mmio };
    let mut st =
        Signals { ports: port_signals, registers, lpts, speaker, speaker_hz, next_speaker: 0, next_mmio: 0, now: 0 };
    // Rounds of up to `workers` chunks: the state each chunk starts from is found by
    // following the changes of the chunk before it without formatting them (several times
    // cheaper), each chunk is formatted on its own thread, and the texts are written in
    // order. The buffers go from round to round.
    let chunks: Vec<&[portcullis_emu::ports::TimedAccess]> = activity.accesses.chunks(chunk.max(1)).collect();
    let mut spare: Vec<Lines> = Vec::new();
    for round in chunks.chunks(workers.max(1)) {
        let mut buffers: Vec<Lines> =
            round.iter().map(|_| spare.pop().unwrap_or_else(|| Lines::starting_at(0))).collect();
        let texts = std::thread::scope(|scope| {
            let (last, earlier) = round.split_last().expect("a round has a chunk");
            let mut last_buffer = buffers.pop().expect("a buffer a chunk");
            let mut running = Vec::new();
            for (c, mut buffer) in earlier.iter().zip(buffers.drain(..)) {
                let start = st.clone();
                let plan = &plan;
                running.push(scope.spawn(move || {
                    plan.format(start, c, &mut buffer);
                    buffer
                }));
                let mut dry = Dry { now: st.now };
                plan.accesses(&mut st, c, &mut dry);
                st.now = dry.now;
            }
            st = plan.format(st.clone(), last, &mut last_buffer);
            let mut texts: Vec<Lines> =
                running.into_iter().map(|h| h.join().expect("formatting a chunk does not panic")).collect();
            texts.push(last_buffer);
            texts
        });
        for text in texts {
            w.writer().write_all(&text.buf[..text.len])?;
            spare.push(text);
        }
    }
    let mut out = Lines::starting_at(st.now);
    plan.rest(&mut st, &mut out);
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

    /// Accesses to a parallel port, a 16-bit port and a byte port, device-register changes
    /// between them and a tone across them, pseudo-random but fixed.
    fn busy_activity() -> Activity {
        use portcullis_emu::physical::timed::MmioChange;
        use portcullis_emu::ports::{TimedAccess, Width};
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let (mut accesses, mut mmio) = (Vec::new(), Vec::new());
        let mut t = 999_000u64;
        for i in 0..3000u64 {
            t += next() % 3 * 500;
            let r = next();
            let (port, width) = match r % 5 {
                0..=2 => (0x378 + (r >> 8) as u16 % 3, Width::Byte),
                3 => (0x1f0, Width::Word),
                _ => (0x80, Width::Byte),
            };
            let value = (r >> 16) as u32 & if width == Width::Word { 0xFFFF } else { 0xFF };
            accesses.push(TimedAccess { time_ns: t, port, width, write: i % 2 == 0, value });
            if r % 7 == 0 {
                mmio.push(MmioChange {
                    time_ns: t,
                    address: 0xfed0_0000 + r % 3 * 4,
                    width: Width::Dword,
                    write: true,
                    value: r as u32,
                });
            }
        }
        let tones =
            vec![portcullis_devices::pit::Tone { start_ns: 1_200_000, duration_ns: 300_000, hz: 44_000.0, count: 27 }];
        Activity { accesses, mmio, tones, end_ns: t + 5_000_000 }
    }

    #[test]
    fn a_dump_is_the_same_however_its_accesses_are_cut_and_shared_out() {
        let activity = busy_activity();
        let dump = |chunk: usize, workers: usize| {
            let mut out = Vec::new();
            write_vcd_in(&activity, &mut out, chunk, workers).unwrap();
            String::from_utf8(out).unwrap()
        };
        let whole = dump(usize::MAX, 1);
        assert!(whole.contains("#999500\n") || whole.contains("#1000000\n"), "{}", &whole[..2000]);
        assert!(whole.lines().count() > 6000, "every access and line change is dumped");
        for (chunk, workers) in [(1, 1), (1, 3), (7, 2), (64, 2), (1000, 4), (2999, 2)] {
            assert!(dump(chunk, workers) == whole, "chunks of {chunk} on {workers} workers");
        }
    }

    #[test]
    fn times_past_a_millisecond_are_written_whole() {
        let mut out = Lines::new();
        let times = [999_999u64, 1_000_000, 1_000_007, 1_999_999, 2_000_000, 12_345_678_901, 12_345_000_001, u64::MAX];
        let mut expected = String::new();
        for t in times {
            out.time(t);
            expected += &format!("#{t}\n");
        }
        assert_eq!(String::from_utf8(out.buf[..out.len].to_vec()).unwrap(), expected);
    }

    #[test]
    fn a_register_moves_only_the_lines_whose_level_changes() {
        // Bits 0 and 3 carry lines 4 and 9; bit 3 is inverted on the wire.
        let mut wires = Wires { present: 0b1001, inverted: 0b1000, line: [4, 0, 0, 9, 0, 0, 0, 0], levels: 0 };
        assert_eq!(wires.changes(0x00).collect::<Vec<_>>(), [(9, 1)]);
        assert_eq!(wires.changes(0xF7).collect::<Vec<_>>(), [(4, 1)]);
        assert_eq!(wires.changes(0xF7).count(), 0);
        assert_eq!(wires.changes(0x08).collect::<Vec<_>>(), [(4, 0), (9, 0)]);
    }
}
