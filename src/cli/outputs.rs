//! The waveform, picture, sound and serial files `run` and `run-app` write: asked for on the
//! command line, created before the run (a confined process can still write them after it)
//! and written once it is over.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use clap::Args;
use portcullis::waveform::{write_timeline, write_vcd, write_wav, Activity};
use portcullis::Sandbox;

#[derive(Args, Clone, Debug, Default)]
pub struct OutputArgs {
    /// Write every port access as a Value Change Dump (GTKWave, PulseView) on the virtual
    /// clock: a signal per port, the parallel port's lines as bits, the speaker.
    #[arg(long, value_name = "FILE.vcd")]
    pub vcd: Option<PathBuf>,
    /// Draw the port activity and the speaker's tones as an SVG timeline.
    #[arg(long, value_name = "FILE.svg")]
    pub timeline: Option<PathBuf>,
    /// Render the speaker's tones as a WAV file.
    #[arg(long, value_name = "FILE.wav")]
    pub wav: Option<PathBuf>,
    /// Write the bytes the guest sent out of the serial ports (COM1 first) to FILE.
    #[arg(long, value_name = "FILE")]
    pub serial_out: Option<PathBuf>,
}

impl OutputArgs {
    /// Whether the run must keep every port access with its time (for the VCD or the
    /// timeline).
    pub fn timed(&self) -> bool {
        self.vcd.is_some() || self.timeline.is_some()
    }
}

/// The files asked for, open.
pub struct Outputs {
    vcd: Option<(PathBuf, File)>,
    timeline: Option<(PathBuf, File)>,
    wav: Option<(PathBuf, File)>,
    serial_out: Option<(PathBuf, File)>,
}

impl Outputs {
    pub fn open(args: &OutputArgs) -> Result<Outputs, String> {
        let create = |path: &Option<PathBuf>| -> Result<Option<(PathBuf, File)>, String> {
            let Some(path) = path else { return Ok(None) };
            let file = File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
            Ok(Some((path.clone(), file)))
        };
        Ok(Outputs {
            vcd: create(&args.vcd)?,
            timeline: create(&args.timeline)?,
            wav: create(&args.wav)?,
            serial_out: create(&args.serial_out)?,
        })
    }

    /// Writes the files once the run is over (the run's port accesses are taken out of `sb`).
    pub fn write(&mut self, sb: &mut Sandbox) -> Result<(), String> {
        let failed = |path: &PathBuf, e: &dyn std::fmt::Display| format!("cannot write {}: {e}", path.display());
        let activity = Activity::take(sb);
        if let Some((path, f)) = self.vcd.take() {
            write_vcd(&activity, BufWriter::new(f)).map_err(|e| failed(&path, &e))?;
        }
        if let Some((path, f)) = self.timeline.take() {
            write_timeline(&activity, BufWriter::new(f)).map_err(|e| failed(&path, &e))?;
        }
        if let Some((path, f)) = self.wav.take() {
            write_wav(&activity, BufWriter::new(f)).map_err(|e| failed(&path, &e))?;
        }
        if let Some((path, mut f)) = self.serial_out.take() {
            let bytes: Vec<u8> = sb.devices().uarts.iter().flatten().flat_map(|u| u.get().output().to_vec()).collect();
            f.write_all(&bytes).map_err(|e| failed(&path, &e))?;
        }
        Ok(())
    }
}
