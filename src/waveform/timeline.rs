//! The timeline picture: one lane per port and per device register (MMIO) accessed, each change of its value a tick (red
//! a write, blue a read) labelled with the value where there is room, the speaker's tones
//! as bars with their frequency.

use std::io::{self, Write};

use svg::node::element::{Line, Rectangle, Text};
use svg::Document;

use super::Activity;

const WIDTH: f64 = 1600.0;
const LEFT: f64 = 120.0;
const LANE: f64 = 26.0;
const TOP: f64 = 30.0;
/// Ticks drawn per lane at most (the rest are summed up in the lane's label).
const MAX_TICKS: usize = 4000;

/// A lane: its label and (time, write, value) of each change.
type Lane = (String, Vec<(u64, bool, u32)>);

pub fn write_timeline(activity: &Activity, out: impl Write) -> io::Result<()> {
    // Lanes: each port, then each device register, then the speaker.
    let mut lanes: Vec<Lane> = activity
        .ports()
        .into_iter()
        .map(|(port, _)| {
            let changes =
                activity.accesses.iter().filter(|a| a.port == port).map(|a| (a.time_ns, a.write, a.value)).collect();
            (format!("{port:#06x}"), changes)
        })
        .collect();
    for (address, _) in activity.registers() {
        let changes =
            activity.mmio.iter().filter(|m| m.address == address).map(|m| (m.time_ns, m.write, m.value)).collect();
        lanes.push((format!("{address:#x}"), changes));
    }
    let ports = &lanes;
    let lanes = ports.len() + 1;
    let height = TOP + LANE * lanes as f64 + 30.0;
    let t0 = activity
        .accesses
        .first()
        .map(|a| a.time_ns)
        .into_iter()
        .chain(activity.tones.iter().map(|t| t.start_ns))
        .min()
        .unwrap_or(0);
    let t1 = activity.end_ns.max(t0 + 1);
    let x = |t: u64| LEFT + (t.saturating_sub(t0)) as f64 / (t1 - t0) as f64 * (WIDTH - LEFT - 20.0);
    let mut doc = Document::new()
        .set("viewBox", (0, 0, WIDTH, height))
        .set("width", WIDTH)
        .set("height", height)
        .set("font-family", "monospace")
        .set("font-size", 10);
    doc = doc.add(Rectangle::new().set("width", WIDTH).set("height", height).set("fill", "white"));
    doc = doc.add(
        Text::new(format!(
            "portcullis timeline: {:.3} ms to {:.3} ms of virtual time",
            t0 as f64 / 1e6,
            t1 as f64 / 1e6
        ))
        .set("x", 8)
        .set("y", 16),
    );
    for (lane, (label, changes)) in ports.iter().enumerate() {
        let y = TOP + LANE * lane as f64;
        let n = changes.len();
        doc = doc.add(Text::new(format!("{label} ({n} ch.)")).set("x", 8).set("y", y + LANE * 0.6)).add(
            Line::new()
                .set("x1", LEFT)
                .set("x2", WIDTH - 20.0)
                .set("y1", y + LANE - 4.0)
                .set("y2", y + LANE - 4.0)
                .set("stroke", "#ccc"),
        );
        let mut last_label = f64::NEG_INFINITY;
        for &(time, write, value) in changes.iter().take(MAX_TICKS) {
            let px = x(time);
            let colour = if write { "#c0392b" } else { "#2471a3" };
            doc = doc.add(
                Line::new()
                    .set("x1", px)
                    .set("x2", px)
                    .set("y1", y + 4.0)
                    .set("y2", y + LANE - 4.0)
                    .set("stroke", colour),
            );
            if px - last_label > 34.0 {
                doc =
                    doc.add(Text::new(format!("{value:x}")).set("x", px + 2.0).set("y", y + 12.0).set("fill", colour));
                last_label = px;
            }
        }
    }
    let y = TOP + LANE * ports.len() as f64;
    doc = doc.add(Text::new("speaker").set("x", 8).set("y", y + LANE * 0.6));
    for t in &activity.tones {
        let (a, b) = (x(t.start_ns), x(t.start_ns + t.duration_ns));
        doc = doc
            .add(
                Rectangle::new()
                    .set("x", a)
                    .set("y", y + 4.0)
                    .set("width", (b - a).max(1.0))
                    .set("height", LANE - 8.0)
                    .set("fill", "#f5b041"),
            )
            .add(Text::new(format!("{:.0} Hz", t.hz)).set("x", a + 2.0).set("y", y + LANE * 0.6));
    }
    svg::write(out, &doc)
}
