//! The PnP part of a scenario: `[pnp]`, the device the emulated bus has for a driver with an
//! AddDevice routine.
//!
//! ```toml
//! [pnp]
//! resources = [{ port = 0x300, length = 0x20 }, { memory = 0xFEB00000, length = 0x1000 },
//!              { interrupt = 5 }]
//! hardware_ids = ['PCI\VEN_8086&DEV_100E']
//! start = true          # start it right after DriverEntry (the default)
//! ```

use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct Pnp {
    #[serde(default)]
    pub(crate) resources: Vec<Resource>,
    pub(crate) hardware_ids: Option<Vec<String>>,
    pub(crate) start: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct Resource {
    port: Option<u64>,
    memory: Option<u64>,
    interrupt: Option<u32>,
    length: Option<u32>,
}

impl Pnp {
    /// The device, checked (the message names what is wrong).
    pub(crate) fn config(&self) -> Result<portcullis_hle::pnp::DeviceConfig, String> {
        let mut c = portcullis_hle::pnp::DeviceConfig::default();
        for r in &self.resources {
            let given = [r.port.is_some(), r.memory.is_some(), r.interrupt.is_some()];
            if given.iter().filter(|g| **g).count() != 1 {
                return Err("a resource is one of port, memory or interrupt".into());
            }
            c.resources.push(match (r.port, r.memory, r.interrupt) {
                (Some(p), _, _) => {
                    if p > 0xFFFF {
                        return Err(format!("port {p:#x} is above 0xFFFF"));
                    }
                    portcullis_hle::pnp::Resource::Port { start: p, length: r.length.unwrap_or(1) }
                }
                (_, Some(m), _) => {
                    portcullis_hle::pnp::Resource::Memory { start: m, length: r.length.unwrap_or(0x1000) }
                }
                (_, _, Some(i)) => {
                    if r.length.is_some() {
                        return Err("an interrupt has no length".into());
                    }
                    portcullis_hle::pnp::Resource::Interrupt { irq: i }
                }
                _ => unreachable!("one is given"),
            });
        }
        if let Some(ids) = &self.hardware_ids {
            if ids.is_empty() {
                return Err("hardware_ids is empty".into());
            }
            c.hardware_ids = ids.clone();
        }
        c.start = self.start.unwrap_or(true);
        Ok(c)
    }
}
