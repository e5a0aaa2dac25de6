//! Bus-master (DMA) access to guest RAM for device models.
//!
//! A controller that keeps rings or buffers in memory (an HD Audio controller's CORB and
//! RIRB, a NIC's descriptors) reads and writes guest physical memory itself. The addresses
//! come from the guest and are untrusted: a transfer reaches only main RAM the machine has
//! handed out, never the frames the machine keeps for itself (page tables, descriptor
//! tables, host-call stubs), conventional memory, ROM or another device's registers. A
//! transfer that would leave that memory moves nothing and is refused whole, as a master
//! abort the device reports in its own status register. No allocation: bytes are copied
//! page by page through the host's RAM mapping.
//!
//! Host writes do not invalidate code Unicorn has translated from the frames written: a
//! driver pointing a device at its own code only confuses itself.

use thiserror::Error;

use crate::memory::ram::Ram;
use crate::memory::PAGE_SIZE;

/// A transfer the bus refused.
#[derive(Clone, Copy, Debug, Error, PartialEq, Eq)]
pub enum DmaError {
    #[error("DMA to physical address {address:#x}: not guest RAM a device may reach")]
    Refused { address: u64 },
}

/// What a device reaches of guest memory during one access.
pub struct Dma<'a> {
    ram: Option<&'a mut Ram>,
}

impl Dma<'static> {
    /// No memory at all: every transfer is refused (a device that is not a bus master, or a
    /// model exercised on its own).
    pub fn none() -> Dma<'static> {
        Dma { ram: None }
    }
}

impl<'a> Dma<'a> {
    pub(crate) fn ram(ram: &'a mut Ram) -> Dma<'a> {
        Dma { ram: Some(ram) }
    }

    /// The same view for a nested device (a BAR's model), or none when `allowed` is false (a
    /// PCI function whose bus-master enable is clear).
    pub fn reborrow(&mut self, allowed: bool) -> Dma<'_> {
        match (&mut self.ram, allowed) {
            (Some(r), true) => Dma { ram: Some(r) },
            _ => Dma { ram: None },
        }
    }

    fn check(&self, pa: u64, len: usize) -> Result<(), DmaError> {
        let Some(ram) = self.ram.as_deref() else { return Err(DmaError::Refused { address: pa }) };
        let Some(end) = pa.checked_add(len as u64) else { return Err(DmaError::Refused { address: pa }) };
        let mut at = pa;
        while at < end {
            if !ram.dma_reachable(at) {
                return Err(DmaError::Refused { address: at });
            }
            at = (at & !(PAGE_SIZE - 1)) + PAGE_SIZE;
        }
        Ok(())
    }

    /// Reads `buf.len()` bytes at `pa`.
    pub fn read(&self, pa: u64, buf: &mut [u8]) -> Result<(), DmaError> {
        self.check(pa, buf.len())?;
        let ram = self.ram.as_deref().expect("checked");
        for (at, off, span) in page_runs(pa, buf.len()) {
            let n = span.len();
            buf[span].copy_from_slice(&ram.page(at)[off..off + n]);
        }
        Ok(())
    }

    /// Writes `data` at `pa`.
    pub fn write(&mut self, pa: u64, data: &[u8]) -> Result<(), DmaError> {
        self.check(pa, data.len())?;
        let ram = self.ram.as_deref_mut().expect("checked");
        for (at, off, span) in page_runs(pa, data.len()) {
            let n = span.len();
            ram.page_mut(at)[off..off + n].copy_from_slice(&data[span]);
        }
        Ok(())
    }

    pub fn read_u32(&self, pa: u64) -> Result<u32, DmaError> {
        let mut b = [0u8; 4];
        self.read(pa, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }
}

/// The pieces of `len` bytes at `pa` that lie in one page each: (address, offset in its
/// page, the piece's range within the transfer). `pa..pa + len` is checked not to overflow.
fn page_runs(pa: u64, len: usize) -> impl Iterator<Item = (u64, usize, std::ops::Range<usize>)> {
    let mut done = 0usize;
    std::iter::from_fn(move || {
        if done >= len {
            return None;
        }
        let at = pa + done as u64;
        let off = (at % PAGE_SIZE) as usize;
        let n = (PAGE_SIZE as usize - off).min(len - done);
        let run = (at, off, done..done + n);
        done += n;
        Some(run)
    })
}
