//! The hardware abstraction layer: port and register access, bus data, address and interrupt
//! translation, resources, the speaker.

pub mod beep;
pub mod bus;
pub mod dispatch_table;
pub mod dma;
pub mod firmware;
pub mod ports;
pub mod registers;
pub mod resources;
pub mod translate;

/// What the HAL keeps.
#[derive(Default, Debug)]
pub struct HalState {
    /// Ports and memory drivers claimed with IoReportResourceUsage: (claimant, memory?, first,
    /// last).
    pub claims: Vec<(u64, bool, u64, u64)>,
    /// DMA adapters handed out.
    pub dma: dma::Dma,
}
