//! Forwarding port accesses to the host's real I/O ports (Linux on x86-64), for people who
//! want a driver to drive a real parallel port, say.
//!
//! Off by default, and hard to turn on by accident: a range is forwarded only when the
//! scenario's policy says `forward` for it *and* the command line names it with
//! `--forward-ports`; ranges that could harm the host (interrupt controllers, the timer's
//! channel 0, DMA, PCI configuration and reset control, fast A20/reset, the keyboard
//! controller) also need `--i-know`; the process needs CAP_SYS_RAWIO (the kernel's
//! `ioperm` for ports below 0x400, `iopl` above). `--forward-dry-run` attaches a backend
//! that records what would have been forwarded and touches nothing. Every forwarded access
//! is marked `forwarded` in the trace and the report.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use portcullis_emu::ports::{BackendError, HostPortBackend, Width};
use thiserror::Error;

use crate::sandbox::SandboxBuilder;

/// Ranges forwarding could harm the host through, with what lives there.
pub const HARMFUL: &[(u16, u16, &str)] = &[
    (0x00, 0x1F, "the DMA controllers"),
    (0x20, 0x21, "the master interrupt controller"),
    (0x40, 0x40, "the timer's channel 0 (the system tick)"),
    (0x43, 0x43, "the timer's control word"),
    (0x60, 0x60, "the keyboard controller"),
    (0x64, 0x64, "the keyboard controller"),
    (0x81, 0x8F, "the DMA page registers"),
    (0x92, 0x92, "fast A20 and reset"),
    (0xA0, 0xA1, "the slave interrupt controller"),
    (0xC0, 0xDF, "the DMA controllers"),
    (0xCF8, 0xCFF, "PCI configuration and reset control (0xCF9)"),
];

/// What the command line asked for.
#[derive(Clone, Debug, Default)]
pub struct ForwardRequest {
    pub ranges: Vec<(u16, u16)>,
    /// Harmful ranges too.
    pub i_know: bool,
    /// Record what would be forwarded; touch nothing.
    pub dry_run: bool,
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ForwardError {
    #[error("--forward-ports {first:#x}-{last:#x}: the scenario does not allow forwarding these ports (its `forward` policies: {allowed})")]
    NotAllowed { first: u16, last: u16, allowed: String },
    #[error("--forward-ports {first:#x}-{last:#x} reaches {what} ({hf:#x}-{hl:#x}), which could harm the host: add --i-know to forward it anyway")]
    Harmful { first: u16, last: u16, what: &'static str, hf: u16, hl: u16 },
    #[error("forwarding to real ports needs CAP_SYS_RAWIO (run as root, or grant the capability); --forward-dry-run shows what would be forwarded")]
    NoPrivilege,
    #[error("forwarding to real ports is only available on Linux on x86-64")]
    Unsupported,
    #[error("{what} failed: {error}")]
    Os { what: String, error: String },
    #[error("`{0}`: expected port ranges like 0x378-0x37a,0x278")]
    BadRange(String),
}

/// Parses `RANGE[,RANGE...]`, each `PORT` or `FIRST-LAST` (hex with 0x, or decimal).
pub fn parse_ranges(s: &str) -> Result<Vec<(u16, u16)>, ForwardError> {
    let port = |p: &str| -> Option<u16> {
        let p = p.trim();
        match p.strip_prefix("0x").or_else(|| p.strip_prefix("0X")) {
            Some(h) => u16::from_str_radix(h, 16).ok(),
            None => p.parse().ok(),
        }
    };
    s.split(',')
        .map(|r| {
            let (a, b) = r.split_once('-').unwrap_or((r, r));
            match (port(a), port(b)) {
                (Some(a), Some(b)) if a <= b => Ok((a, b)),
                _ => Err(ForwardError::BadRange(r.to_string())),
            }
        })
        .collect()
}

/// Checks the request against the scenario's `forward` ranges and the harmful ranges.
pub fn check(request: &ForwardRequest, allowed: &[(u16, u16)]) -> Result<(), ForwardError> {
    for &(first, last) in &request.ranges {
        if !(first..=last).all(|p| allowed.iter().any(|(a, b)| (*a..=*b).contains(&p))) {
            let allowed = if allowed.is_empty() {
                "none".to_string()
            } else {
                allowed.iter().map(|(a, b)| format!("{a:#x}-{b:#x}")).collect::<Vec<_>>().join(", ")
            };
            return Err(ForwardError::NotAllowed { first, last, allowed });
        }
        if !request.i_know {
            if let Some(&(hf, hl, what)) = HARMFUL.iter().find(|(a, b, _)| first <= *b && *a <= last) {
                return Err(ForwardError::Harmful { first, last, what, hf, hl });
            }
        }
    }
    Ok(())
}

/// Whether `/proc/self/status`'s effective capabilities (`CapEff:`) hold CAP_SYS_RAWIO (17).
pub fn status_has_cap_sys_rawio(status: &str) -> bool {
    status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        .is_some_and(|caps| caps & (1 << 17) != 0)
}

/// Whether this process may touch real ports.
pub fn has_cap_sys_rawio() -> bool {
    std::fs::read_to_string("/proc/self/status").map(|s| status_has_cap_sys_rawio(&s)).unwrap_or(false)
}

static HOST_ACCESSES: AtomicU64 = AtomicU64::new(0);
static HOST_BACKENDS: AtomicU64 = AtomicU64::new(0);

/// Accesses the real-port backend performed in this process (tests prove it stays 0).
pub fn host_accesses() -> u64 {
    HOST_ACCESSES.load(Ordering::Relaxed)
}

/// Real-port backends opened in this process.
pub fn host_backends_opened() -> u64 {
    HOST_BACKENDS.load(Ordering::Relaxed)
}

/// The backend that performs real port I/O on the host.
pub struct HostPorts {
    ranges: Vec<(u16, u16)>,
}

impl HostPorts {
    /// Asks the kernel for the ranges (`ioperm` below 0x400, `iopl(3)` for the rest).
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    pub fn open(ranges: &[(u16, u16)]) -> Result<HostPorts, ForwardError> {
        if !has_cap_sys_rawio() {
            return Err(ForwardError::NoPrivilege);
        }
        for &(first, last) in ranges {
            let (ok, what) = if last < 0x400 {
                // SAFETY: ioperm only changes this process's I/O permission bitmap.
                let r = unsafe { libc::ioperm(first as libc::c_ulong, (last - first + 1) as libc::c_ulong, 1) };
                (r == 0, format!("ioperm({first:#x}, {})", last - first + 1))
            } else {
                // SAFETY: iopl(3) lets this process's user code use every port.
                let r = unsafe { libc::iopl(3) };
                (r == 0, "iopl(3)".to_string())
            };
            if !ok {
                let error = std::io::Error::last_os_error().to_string();
                return Err(ForwardError::Os { what, error });
            }
        }
        HOST_BACKENDS.fetch_add(1, Ordering::Relaxed);
        Ok(HostPorts { ranges: ranges.to_vec() })
    }

    #[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
    pub fn open(_: &[(u16, u16)]) -> Result<HostPorts, ForwardError> {
        Err(ForwardError::Unsupported)
    }

    fn permitted(&self, port: u16, width: Width) -> Result<(), BackendError> {
        let last = port as u32 + width.bytes() as u32 - 1;
        if self.ranges.iter().any(|(a, b)| *a as u32 <= port as u32 && last <= *b as u32) {
            Ok(())
        } else {
            Err(BackendError::Refused { port, reason: "outside the forwarded ranges".into() })
        }
    }
}

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
mod io {
    use std::arch::asm;

    use portcullis_emu::ports::Width;

    /// SAFETY (both): the caller holds the I/O permission for the ports (ioperm/iopl).
    pub unsafe fn read(port: u16, width: Width) -> u32 {
        match width {
            Width::Byte => {
                let v: u8;
                asm!("in al, dx", out("al") v, in("dx") port, options(nomem, nostack, preserves_flags));
                v as u32
            }
            Width::Word => {
                let v: u16;
                asm!("in ax, dx", out("ax") v, in("dx") port, options(nomem, nostack, preserves_flags));
                v as u32
            }
            Width::Dword => {
                let v: u32;
                asm!("in eax, dx", out("eax") v, in("dx") port, options(nomem, nostack, preserves_flags));
                v
            }
        }
    }

    pub unsafe fn write(port: u16, width: Width, value: u32) {
        match width {
            Width::Byte => {
                asm!("out dx, al", in("dx") port, in("al") value as u8, options(nomem, nostack, preserves_flags))
            }
            Width::Word => {
                asm!("out dx, ax", in("dx") port, in("ax") value as u16, options(nomem, nostack, preserves_flags))
            }
            Width::Dword => {
                asm!("out dx, eax", in("dx") port, in("eax") value, options(nomem, nostack, preserves_flags))
            }
        }
    }
}

impl HostPortBackend for HostPorts {
    fn name(&self) -> &str {
        "host"
    }

    fn read(&mut self, port: u16, width: Width) -> Result<u32, BackendError> {
        self.permitted(port, width)?;
        HOST_ACCESSES.fetch_add(1, Ordering::Relaxed);
        #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
        // SAFETY: `open` obtained the permission for every port of the ranges.
        return Ok(unsafe { io::read(port, width) });
        #[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
        Err(BackendError::Failed("unsupported".into()))
    }

    fn write(&mut self, port: u16, width: Width, value: u32) -> Result<(), BackendError> {
        self.permitted(port, width)?;
        HOST_ACCESSES.fetch_add(1, Ordering::Relaxed);
        #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
        // SAFETY: as for reads.
        unsafe {
            io::write(port, width, value)
        };
        #[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
        let _ = value;
        Ok(())
    }
}

/// What a dry run would have forwarded: (port, write, width in bytes, value) -> count.
pub type DryRunLog = Rc<RefCell<BTreeMap<(u16, bool, u16, u32), u64>>>;

/// Records every access it is given and touches nothing; reads return all-ones.
pub struct DryRun {
    log: DryRunLog,
}

impl HostPortBackend for DryRun {
    fn name(&self) -> &str {
        "dry-run"
    }

    fn read(&mut self, port: u16, width: Width) -> Result<u32, BackendError> {
        *self.log.borrow_mut().entry((port, false, width.bytes(), width.all_ones())).or_default() += 1;
        Ok(width.all_ones())
    }

    fn write(&mut self, port: u16, width: Width, value: u32) -> Result<(), BackendError> {
        *self.log.borrow_mut().entry((port, true, width.bytes(), value)).or_default() += 1;
        Ok(())
    }
}

/// Attaches forwarding as `request` asks, after checking it against the scenario's
/// `forward` ranges (`allowed`), the harmful ranges and (unless a dry run) the process's
/// privilege. Returns the dry run's log when it is one.
pub fn attach(
    mut builder: SandboxBuilder,
    request: &ForwardRequest,
    allowed: &[(u16, u16)],
) -> Result<(SandboxBuilder, Option<DryRunLog>), ForwardError> {
    check(request, allowed)?;
    if request.dry_run {
        let log = DryRunLog::default();
        for &(first, last) in &request.ranges {
            builder = builder.forward(first, last, Box::new(DryRun { log: log.clone() }));
        }
        return Ok((builder, Some(log)));
    }
    for &(first, last) in &request.ranges {
        let backend = HostPorts::open(&[(first, last)])?;
        builder = builder.forward(first, last, Box::new(backend));
    }
    Ok((builder, None))
}

/// The dry run's table: what would have gone to the host.
pub fn render_dry_run(log: &DryRunLog) -> String {
    use std::fmt::Write;
    let log = log.borrow();
    let total: u64 = log.values().sum();
    let mut s = format!("forward dry run: {total} access(es) would have reached the host's ports\n");
    if total > 0 {
        let _ = writeln!(s, "  port     width dir  value          count");
    }
    for ((port, write, width, value), count) in log.iter().take(200) {
        let dir = if *write { "out" } else { "in " };
        let _ = writeln!(s, "  {port:#06x}   {width}     {dir}  {value:#010x} {count:>8}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_and_checks_refuse_what_they_must() {
        assert_eq!(parse_ranges("0x378-0x37a,0x278").unwrap(), vec![(0x378, 0x37A), (0x278, 0x278)]);
        assert!(parse_ranges("0x37a-0x378").is_err());
        assert!(parse_ranges("lpt1").is_err());
        let req = |ranges: Vec<(u16, u16)>, i_know| ForwardRequest { ranges, i_know, dry_run: true };
        let allowed = [(0x378, 0x37F), (0x60, 0x64)];
        assert_eq!(check(&req(vec![(0x378, 0x37A)], false), &allowed), Ok(()));
        assert!(matches!(check(&req(vec![(0x378, 0x380)], false), &allowed), Err(ForwardError::NotAllowed { .. })));
        assert!(matches!(check(&req(vec![(0x60, 0x60)], false), &allowed), Err(ForwardError::Harmful { .. })));
        assert_eq!(check(&req(vec![(0x60, 0x60)], true), &allowed), Ok(()));
        assert!(matches!(check(&req(vec![(0x378, 0x378)], false), &[]), Err(ForwardError::NotAllowed { .. })));
    }

    #[test]
    fn the_capability_is_read_from_the_effective_set() {
        assert!(status_has_cap_sys_rawio("Name:\tx\nCapEff:\t000001ffffffffff\n"));
        assert!(!status_has_cap_sys_rawio("CapEff:\t0000000000000000\n"));
        assert!(status_has_cap_sys_rawio("CapEff:\t0000000000020000\n"));
        assert!(!status_has_cap_sys_rawio("CapPrm:\t0000000000020000\n"));
    }
}
