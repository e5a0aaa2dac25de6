//! Pictures and sound of a run: every port access on the virtual clock as a Value Change
//! Dump (`--vcd`, for GTKWave and PulseView), as an SVG timeline (`--timeline`), and the
//! speaker's tones as a WAV file (`--wav`).

mod timeline;
mod vcd;
mod wav;

pub use timeline::write_timeline;
pub use vcd::write_vcd;
pub use wav::write_wav;

use portcullis_devices::pit::Tone;
use portcullis_emu::physical::timed::MmioChange;
use portcullis_emu::ports::TimedAccess;

/// What a run did on the bus, in virtual time.
pub struct Activity {
    /// Every port access, in time order.
    pub accesses: Vec<TimedAccess>,
    /// Every change of a device register's value (MMIO), in time order.
    pub mmio: Vec<MmioChange>,
    pub tones: Vec<Tone>,
    /// The end of the run (ns).
    pub end_ns: u64,
}

impl Activity {
    /// The activity of a finished sandbox (accesses are kept only when the builder asked for
    /// them: [`crate::sandbox::SandboxBuilder::timed_ports`]).
    pub fn of(sb: &crate::Sandbox) -> Activity {
        Activity { accesses: sb.kernel().guest().ports.timed_accesses(), ..Activity::without_ports(sb) }
    }

    /// [`Activity::of`], the port accesses taken out of the sandbox rather than copied (what
    /// the command line does once a run is over: a long run keeps millions).
    pub fn take(sb: &mut crate::Sandbox) -> Activity {
        let rest = Activity::without_ports(sb);
        Activity { accesses: sb.kernel_mut().guest_mut().ports.take_timed_accesses(), ..rest }
    }

    fn without_ports(sb: &crate::Sandbox) -> Activity {
        let end_ns = sb.now_ns();
        let tones = sb.devices().pit.as_ref().map(|p| p.get().tones_until(end_ns)).unwrap_or_default();
        let g = sb.kernel().guest();
        Activity { accesses: Vec::new(), mmio: g.timed_mmio.changes(g.cpu.clock.tsc_hz), tones, end_ns }
    }

    /// Distinct ports accessed, ascending, with the widest access seen (bytes).
    fn ports(&self) -> Vec<(u16, u16)> {
        // Indexed by port: a map lookup per access cost more than the rest of a dump.
        let mut widths = vec![0u16; 0x10000];
        for a in &self.accesses {
            let w = &mut widths[a.port as usize];
            *w = (*w).max(a.width.bytes());
        }
        (0..=u16::MAX).zip(widths).filter(|&(_, w)| w != 0).collect()
    }
}

impl Activity {
    /// Distinct device register addresses accessed, ascending, with the widest access seen.
    fn registers(&self) -> Vec<(u64, u16)> {
        let mut widths = std::collections::BTreeMap::new();
        for a in &self.mmio {
            let w = widths.entry(a.address).or_insert(1u16);
            *w = (*w).max(a.width.bytes());
        }
        widths.into_iter().collect()
    }
}

/// The parallel-port bases whose registers were accessed, given the ports accessed
/// ([`Activity::ports`]).
fn lpt_bases(ports: &[(u16, u16)]) -> Vec<u16> {
    portcullis_devices::lpt::LPT
        .iter()
        .map(|(b, _)| *b)
        .filter(|b| ports.iter().any(|(p, _)| (*b..=*b + 2).contains(p)))
        .collect()
}
