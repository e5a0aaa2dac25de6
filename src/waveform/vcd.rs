//! The Value Change Dump: one signal per port accessed (its value at each access), the
//! parallel port's data, status and control lines as bits (as the wires carry them:
//! BUSY, nACK, nSTROBE, ... with the register's inversions undone), the speaker's output as
//! a bit and its frequency; `$timescale 1ns`, time from the virtual clock.

use std::io::{self, Write};

use ::vcd::{IdCode, TimescaleUnit, Value, Writer};

use super::{lpt_bases, Activity};

/// Speaker edges written at most (a long high tone would otherwise write millions).
const MAX_SPEAKER_EDGES: u64 = 2_000_000;

enum Change {
    Vector { id: IdCode, width: u32, value: u32 },
    Bit { id: IdCode, high: bool },
}

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

pub fn write_vcd(activity: &Activity, out: impl Write) -> io::Result<()> {
    let mut w = Writer::new(out);
    w.comment("portcullis: port accesses on the virtual clock")?;
    w.timescale(1, TimescaleUnit::NS)?;
    w.add_module("portcullis")?;
    w.add_module("ports")?;
    let ports: Vec<(u16, IdCode, u32)> = activity
        .ports()
        .into_iter()
        .map(|(port, bytes)| Ok((port, w.add_wire(bytes as u32 * 8, &format!("port_{port:04x}"))?, bytes as u32 * 8)))
        .collect::<io::Result<_>>()?;
    w.upscope()?;
    let mut lpts = Vec::new();
    for base in lpt_bases(activity) {
        w.add_module(&format!("lpt_{base:03x}"))?;
        let ids: Vec<IdCode> = LPT_LINES.iter().map(|(name, ..)| w.add_wire(1, name)).collect::<io::Result<_>>()?;
        w.upscope()?;
        lpts.push((base, ids));
    }
    w.add_module("speaker")?;
    let speaker = w.add_wire(1, "out")?;
    let speaker_hz = w.add_wire(32, "hz")?;
    w.upscope()?;
    w.upscope()?;
    w.enddefinitions()?;

    let mut changes: Vec<(u64, Change)> = Vec::with_capacity(activity.accesses.len() * 2);
    for a in activity.accesses {
        if let Some((_, id, width)) = ports.iter().find(|(p, ..)| *p == a.port) {
            changes.push((a.time_ns, Change::Vector { id: *id, width: *width, value: a.value }));
        }
        for (base, ids) in &lpts {
            let offset = a.port.wrapping_sub(*base);
            if offset <= 2 {
                for (i, (_, reg, bit, inverted)) in LPT_LINES.iter().enumerate() {
                    if *reg == offset {
                        let high = (a.value >> bit & 1 != 0) != *inverted;
                        changes.push((a.time_ns, Change::Bit { id: ids[i], high }));
                    }
                }
            }
        }
    }
    let mut edges = 0u64;
    for t in &activity.tones {
        changes.push((t.start_ns, Change::Vector { id: speaker_hz, width: 32, value: t.hz.round() as u32 }));
        let half = (1e9 / t.hz / 2.0).max(1.0);
        let n = ((t.duration_ns as f64 / half) as u64).min(MAX_SPEAKER_EDGES.saturating_sub(edges));
        edges += n;
        for k in 0..n {
            changes.push((t.start_ns + (k as f64 * half) as u64, Change::Bit { id: speaker, high: k % 2 == 0 }));
        }
        let end = t.start_ns + t.duration_ns;
        changes.push((end, Change::Bit { id: speaker, high: false }));
        changes.push((end, Change::Vector { id: speaker_hz, width: 32, value: 0 }));
    }
    changes.sort_by_key(|(t, _)| *t);

    // Initial values: everything low at time 0.
    w.timestamp(0)?;
    for (_, id, width) in &ports {
        w.change_vector(*id, bits(0, *width))?;
    }
    for (_, ids) in &lpts {
        for id in ids {
            w.change_scalar(*id, Value::V0)?;
        }
    }
    w.change_scalar(speaker, Value::V0)?;
    w.change_vector(speaker_hz, bits(0, 32))?;
    let mut last = 0;
    for (t, c) in changes {
        if t != last {
            w.timestamp(t)?;
            last = t;
        }
        match c {
            Change::Vector { id, width, value } => w.change_vector(id, bits(value, width))?,
            Change::Bit { id, high } => w.change_scalar(id, if high { Value::V1 } else { Value::V0 })?,
        }
    }
    if activity.end_ns > last {
        w.timestamp(activity.end_ns)?;
    }
    w.flush()
}
