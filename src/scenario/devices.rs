//! The scenario's `[[devices]]`: one tagged enum, one arm per kind of device. Adding a
//! device is a model in `portcullis-devices` plus an arm here (its keys, and how it is put
//! on the bus).
//!
//! ```toml
//! machine = "bare"                 # no default chips (default: "pc", every chip at its ports)
//! [[devices]]
//! kind = "uart"                    # a 16550 at COM1-COM4 that receives `input`
//! com = 1
//! input_text = "AT\r"
//! [[devices]]
//! kind = "lpt"                     # a parallel port with a printer (or scripted status)
//! base = 0x378
//! busy = "20us"
//! ```

use serde::Deserialize;

use super::format::{Bytes, Duration, PortRange};
use crate::board::ChipSetup;
use crate::devices::{Constant, Registers, Sequence};

#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum Device {
    /// A block of byte registers holding what is written.
    Registers { ports: PortRange, name: Option<String>, initial: Option<Bytes> },
    /// Reads answer `values` in order, then `then` (all-ones by default).
    Sequence {
        ports: PortRange,
        name: Option<String>,
        #[serde(default)]
        values: Vec<u32>,
        then: Option<u32>,
    },
    /// Every read answers `value`.
    Constant { ports: PortRange, name: Option<String>, value: u32 },
    /// A 16550 UART at COM`com` receiving `input` (bytes) or `input_text`.
    Uart { com: u8, input: Option<Bytes>, input_text: Option<String> },
    /// A parallel port at `base` (0x378, 0x278, 0x3BC) with a printer busy `busy` per byte
    /// (10 us by default), or status reads scripted by `status` then `status_then`.
    Lpt { base: Option<u16>, busy: Option<Duration>, status: Option<Bytes>, status_then: Option<u8> },
    /// The CMOS/RTC showing `date` ("YYYY-MM-DD[THH:MM:SS]") at the virtual boot, or the
    /// host's clock with `host_clock = true` (the run is then not repeatable).
    Rtc { date: Option<String>, host_clock: Option<bool> },
    /// The 8042 keyboard controller with a keyboard typing `keys` (scan codes).
    Keyboard { keys: Option<Bytes> },
}

/// A checked device: how to put it on the bus.
pub(crate) enum Checked {
    /// A generic model on a port range.
    Port {
        first: u16,
        last: u16,
        device: PortModel,
    },
    Chip(ChipSpec),
}

#[derive(Clone, Debug)]
pub(crate) enum PortModel {
    Registers { initial: Vec<u8>, name: String },
    Sequence { values: Vec<u32>, then: u32, name: String },
    Constant { value: u32, name: String },
}

#[derive(Clone, Debug)]
pub(crate) enum ChipSpec {
    Uart { com: usize, input: Vec<u8> },
    Lpt { base: u16, busy_ns: u64, status: Option<(Vec<u8>, Option<u8>)> },
    Rtc { epoch: Option<i64>, host_clock: bool },
    Keyboard { keys: Vec<u8> },
}

impl Device {
    /// Checks the values a device's keys hold; an error names the problem.
    pub(crate) fn check(&self) -> Result<Checked, String> {
        Ok(match self {
            Device::Registers { ports, name, initial } => Checked::Port {
                first: ports.first,
                last: ports.last,
                device: PortModel::Registers {
                    initial: initial.as_ref().map(|b| b.0.clone()).unwrap_or_default(),
                    name: name.clone().unwrap_or_else(|| "registers".into()),
                },
            },
            Device::Sequence { ports, name, values, then } => Checked::Port {
                first: ports.first,
                last: ports.last,
                device: PortModel::Sequence {
                    values: values.clone(),
                    then: then.unwrap_or(u32::MAX),
                    name: name.clone().unwrap_or_else(|| "sequence".into()),
                },
            },
            Device::Constant { ports, name, value } => Checked::Port {
                first: ports.first,
                last: ports.last,
                device: PortModel::Constant { value: *value, name: name.clone().unwrap_or_else(|| "constant".into()) },
            },
            Device::Uart { com, input, input_text } => {
                if !(1..=4).contains(com) {
                    return Err(format!("uart com = {com}: expected 1 to 4"));
                }
                let mut bytes = input.as_ref().map(|b| b.0.clone()).unwrap_or_default();
                bytes.extend(input_text.as_deref().unwrap_or("").bytes());
                Checked::Chip(ChipSpec::Uart { com: *com as usize, input: bytes })
            }
            Device::Lpt { base, busy, status, status_then } => {
                let base = base.unwrap_or(0x378);
                if !portcullis_devices::lpt::LPT.iter().any(|(b, _)| *b == base) {
                    return Err(format!("lpt base = {base:#x}: expected 0x378, 0x278 or 0x3bc"));
                }
                let busy_ns = busy
                    .map(|d| d.0.as_nanos().min(u64::MAX as u128) as u64)
                    .unwrap_or(portcullis_devices::lpt::BUSY_NS);
                let status = match (status, status_then) {
                    (None, None) => None,
                    (s, t) => Some((s.as_ref().map(|b| b.0.clone()).unwrap_or_default(), *t)),
                };
                Checked::Chip(ChipSpec::Lpt { base, busy_ns, status })
            }
            Device::Rtc { date, host_clock } => {
                let epoch = match date {
                    Some(d) => Some(
                        portcullis_devices::cmos::parse_date(d)
                            .ok_or_else(|| format!("rtc date `{d}`: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS"))?,
                    ),
                    None => None,
                };
                Checked::Chip(ChipSpec::Rtc { epoch, host_clock: host_clock.unwrap_or(false) })
            }
            Device::Keyboard { keys } => {
                Checked::Chip(ChipSpec::Keyboard { keys: keys.as_ref().map(|b| b.0.clone()).unwrap_or_default() })
            }
        })
    }
}

impl PortModel {
    pub(crate) fn build(self, first: u16, last: u16) -> Box<dyn portcullis_emu::ports::PortDevice> {
        match self {
            PortModel::Registers { initial, name } => {
                let len = (last - first) as usize + 1;
                Box::new(Registers::new(name, len, &initial))
            }
            PortModel::Sequence { values, then, name } => Box::new(Sequence::new(name, values, then)),
            PortModel::Constant { value, name } => Box::new(Constant::new(name, value)),
        }
    }
}

impl ChipSpec {
    /// How the chip goes on the bus (before the default machine's).
    pub(crate) fn setup(self) -> ChipSetup {
        Box::new(move |devices, bus, machine| match self {
            ChipSpec::Uart { com, input } => devices.attach_uart(bus, com, &input, false),
            ChipSpec::Lpt { base, busy_ns, status } => {
                devices.attach_lpt(bus, base, busy_ns, status.as_ref().map(|(v, t)| (v.as_slice(), *t)), false)
            }
            ChipSpec::Rtc { epoch, host_clock } => {
                let epoch = if host_clock {
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_secs() as i64)
                        .unwrap_or(portcullis_devices::cmos::DEFAULT_EPOCH)
                } else {
                    epoch.unwrap_or(portcullis_devices::cmos::DEFAULT_EPOCH)
                };
                devices.attach_cmos(bus, portcullis_devices::cmos::Cmos::new(machine.ram_bytes, epoch), false)
            }
            ChipSpec::Keyboard { keys } => {
                devices.attach_i8042(bus, portcullis_devices::i8042::I8042::new(&keys), false)
            }
        })
    }
}
