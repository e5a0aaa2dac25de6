//! The machine's chips as the tool sets them up and reports them: the scenario's chips
//! first, then the default machine's (unless the scenario asks for a bare machine), and
//! what they saw (POST codes, speaker tones, serial and printer output).

use portcullis_devices::{Devices, MachineOptions};
use portcullis_emu::ports::{PortBus, PortBusError, ResetRequest};
use serde::Serialize;

/// Attaches one chip a scenario configured (one arm of the scenario's device enum).
pub type ChipSetup = Box<dyn FnOnce(&mut Devices, &mut PortBus, &MachineOptions) -> Result<(), PortBusError>>;

/// Puts the scenario's chips on the bus, then (unless `bare`) the default machine's where
/// their ports are free.
pub(crate) fn install(
    bus: &mut PortBus,
    chips: Vec<ChipSetup>,
    bare: bool,
    opts: &MachineOptions,
) -> Result<Devices, PortBusError> {
    let mut devices = Devices::default();
    if bare {
        // Not even the chipset's PCI configuration and SMBus ports.
        bus.remove_chipset_devices();
    }
    for setup in chips {
        setup(&mut devices, bus, opts)?;
    }
    if !bare {
        devices.install_defaults(bus, opts);
    } else if let Some(pic) = &devices.pic {
        bus.set_interrupt_controller(Box::new(portcullis_devices::pic::PicController(pic.clone())));
    }
    Ok(devices)
}

/// Bytes a port sent out, shown as text where printable.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Captured {
    /// "COM1", "LPT 0x378".
    pub port: String,
    pub bytes: Vec<u8>,
    pub text: String,
    /// Bytes past the capture cap (counted, not kept).
    pub dropped: u64,
}

fn captured(port: String, bytes: &[u8], dropped: u64) -> Captured {
    Captured { port, bytes: bytes.to_vec(), text: String::from_utf8_lossy(bytes).into_owned(), dropped }
}

/// What the machine's chips saw, for the report (absent when nothing happened).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DevicesReport {
    pub post_codes: Vec<portcullis_devices::post::PostCode>,
    pub tones: Vec<portcullis_devices::pit::Tone>,
    pub serial: Vec<Captured>,
    pub printed: Vec<Captured>,
    /// The reset that ended the run, if one did.
    pub reset: Option<ResetRequest>,
}

impl DevicesReport {
    /// The chips' records at `now_ns`; `None` when there is nothing to say.
    pub fn of(devices: &Devices, now_ns: u64, reset: Option<ResetRequest>) -> Option<DevicesReport> {
        let mut r = DevicesReport { reset, ..Default::default() };
        if let Some(p) = &devices.post {
            r.post_codes = p.get().codes().to_vec();
        }
        if let Some(p) = &devices.pit {
            r.tones = p.get().tones_until(now_ns);
        }
        for (i, u) in devices.uarts.iter().enumerate() {
            if let Some(u) = u {
                let u = u.get();
                if !u.output().is_empty() {
                    r.serial.push(captured(format!("COM{}", i + 1), u.output(), u.output_dropped));
                }
            }
        }
        for (i, l) in devices.lpts.iter().enumerate() {
            if let Some(l) = l {
                let l = l.get();
                if !l.printed().is_empty() {
                    let base = portcullis_devices::lpt::LPT[i].0;
                    r.printed.push(captured(format!("LPT {base:#x}"), l.printed(), l.printed_dropped));
                }
            }
        }
        (r != DevicesReport::default()).then_some(r)
    }

    /// The text form: one section per kind.
    pub fn render(&self, s: &mut String) {
        use std::fmt::Write;
        if !self.post_codes.is_empty() {
            let codes: Vec<String> = self.post_codes.iter().take(64).map(|c| format!("{:02x}", c.value)).collect();
            let more = self.post_codes.len().saturating_sub(64);
            let more = if more > 0 { format!(" (+{more})") } else { String::new() };
            let _ = writeln!(s, "\nPOST codes ({}): {}{more}", self.post_codes.len(), codes.join(" "));
        }
        if !self.tones.is_empty() {
            let _ =
                writeln!(s, "\nspeaker tones ({})\n  start (ms)    duration (ms)  frequency (Hz)", self.tones.len());
            for t in self.tones.iter().take(64) {
                let _ = writeln!(
                    s,
                    "  {:>10.3}    {:>13.3}  {:>14.1}",
                    t.start_ns as f64 / 1e6,
                    t.duration_ns as f64 / 1e6,
                    t.hz
                );
            }
        }
        for c in &self.serial {
            let _ = writeln!(s, "\nserial output on {} ({} bytes): {:?}", c.port, c.bytes.len(), c.text);
        }
        for c in &self.printed {
            let _ = writeln!(s, "\nprinted on {} ({} bytes): {:?}", c.port, c.bytes.len(), c.text);
        }
        if let Some(r) = &self.reset {
            let _ = writeln!(s, "\nreset: {} ({:#x} written to port {:#x})", r.what, r.value, r.port);
        }
    }
}
