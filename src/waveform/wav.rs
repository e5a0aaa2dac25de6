//! The speaker's tones as sound: a square wave at each tone's frequency for its duration,
//! silence between, from the first tone on (44.1 kHz, 16-bit mono). At most ten minutes.

use std::io::{Seek, Write};

use super::Activity;

const RATE: u32 = 44_100;
const MAX_SECONDS: u64 = 600;

pub fn write_wav(activity: &Activity, out: impl Write + Seek) -> Result<(), hound::Error> {
    let spec =
        hound::WavSpec { channels: 1, sample_rate: RATE, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    let mut w = hound::WavWriter::new(out, spec)?;
    let start = activity.tones.iter().map(|t| t.start_ns).min().unwrap_or(0);
    let end = activity.tones.iter().map(|t| t.start_ns + t.duration_ns).max().unwrap_or(start);
    let samples = ((end - start).min(MAX_SECONDS * 1_000_000_000) as u128 * RATE as u128 / 1_000_000_000) as u64;
    let mut tones = activity.tones.clone();
    tones.sort_by_key(|t| t.start_ns);
    let mut i = 0;
    for s in 0..samples {
        let t = start + (s as u128 * 1_000_000_000 / RATE as u128) as u64;
        while i < tones.len() && tones[i].start_ns + tones[i].duration_ns <= t {
            i += 1;
        }
        let v = match tones.get(i).filter(|tone| tone.start_ns <= t) {
            Some(tone) => {
                let phase = ((t - tone.start_ns) as f64 * tone.hz / 1e9).fract();
                if phase < 0.5 {
                    9000i16
                } else {
                    -9000
                }
            }
            None => 0,
        };
        w.write_sample(v)?;
    }
    w.finalize()
}
