//! An Intel High Definition Audio controller (PCI class 04h, subclass 03h) on its BAR0
//! register block, with one codec on the link (`codec.rs`).
//!
//! What a bus driver needs to find and talk to codecs, per the HD Audio specification 1.0a,
//! section 3.3: the capabilities (GCAP/VMIN/VMAJ/OUTPAY/INPAY), the controller reset
//! handshake (GCTL.CRST: while it is 0 every other register holds its reset value and
//! ignores writes; setting it brings the link up and codec 0 reports itself in STATESTS),
//! WAKEEN/STATESTS, INTCTL/INTSTS, the wall clock (24 MHz on the virtual clock), the command
//! ring (CORB) and response ring (RIRB) in guest memory, and the immediate command interface
//! (ICOI/ICII/ICIS).
//!
//! The rings are reached by DMA ([`Dma`]): once CORBRUN is set, each write of CORBWP has the
//! controller fetch the verbs between CORBRP and CORBWP, have the codec answer at once, and
//! write each response (and its codec address) into the next RIRB entry, then flag RINTFL
//! when RINTCTL asks for it. Ring addresses and sizes come from the guest: a fetch the bus
//! refuses sets CORBSTS.CMEI and stops the ring; a response that cannot be written is lost and
//! sets RIRBSTS.RIRBOIS. Everything happens within the register access, so a run is
//! repeatable.
//!
//! Not modelled: the interrupt line (INTSTS says what would be pending), the DMA position
//! buffer, and stream data: the eight stream descriptors hold what is written (SRST reads back
//! as written, LPIB stays 0) but move no samples.

pub mod codec;

use portcullis_emu::physical::mmio::{DeviceContext, MmioDevice};
use portcullis_emu::ports::Width;

pub use codec::Codec;

/// The size of the register block (BAR0).
pub const BAR_SIZE: u64 = 0x4000;
/// PCI class code: multimedia (04h), HD Audio (03h), interface 00h.
pub const CLASS: u32 = 0x04_03_00;

/// 4 output, 4 input, 0 bidirectional streams, 1 SDO, 64-bit addressing.
const GCAP: u16 = 0x4401;
const OUTPUT_STREAMS: usize = 4;
const INPUT_STREAMS: usize = 4;
const STREAMS: usize = OUTPUT_STREAMS + INPUT_STREAMS;
const STREAM_BASE: u64 = 0x80;

const GCTL_CRST: u32 = 1 << 0;
const GCTL_FCNTRL: u32 = 1 << 1;
const GCTL_UNSOL: u32 = 1 << 8;
const CORBRP_RST: u16 = 1 << 15;
const CORBCTL_CMEIE: u8 = 1 << 0;
const CORBCTL_RUN: u8 = 1 << 1;
const CORBSTS_CMEI: u8 = 1 << 0;
const RIRBWP_RST: u16 = 1 << 15;
const RIRBCTL_RINTCTL: u8 = 1 << 0;
const RIRBCTL_DMAEN: u8 = 1 << 1;
const RIRBCTL_OIC: u8 = 1 << 2;
const RIRBSTS_RINTFL: u8 = 1 << 0;
const RIRBSTS_OIS: u8 = 1 << 2;
const ICIS_ICB: u16 = 1 << 0;
const ICIS_IRV: u16 = 1 << 1;
/// CORBSIZE/RIRBSIZE: 2, 16 and 256 entries supported (bits 6:4), 256 chosen.
const RING_SIZE_DEFAULT: u8 = 0x72;

/// One stream descriptor's registers.
#[derive(Clone, Copy, Default)]
struct Stream {
    ctl: u32,
    sts: u8,
    cbl: u32,
    lvi: u16,
    fmt: u16,
    bdpl: u32,
    bdpu: u32,
}

/// What a reset clears: everything but GCTL, WAKEEN and STATESTS.
#[derive(Clone, Copy)]
struct Core {
    intctl: u32,
    corb_base: u64,
    corb_wp: u8,
    corb_rp: u8,
    corb_rp_reset: bool,
    corb_ctl: u8,
    corb_sts: u8,
    corb_size: u8,
    rirb_base: u64,
    rirb_wp: u8,
    rintcnt: u16,
    rirb_ctl: u8,
    rirb_sts: u8,
    rirb_size: u8,
    /// Responses written since RINTFL was last raised.
    rirb_pending: u16,
    icoi: u32,
    icii: u32,
    icis: u16,
    dpl: u64,
    ssync: u32,
    streams: [Stream; STREAMS],
}

impl Default for Core {
    fn default() -> Core {
        Core {
            intctl: 0,
            corb_base: 0,
            corb_wp: 0,
            corb_rp: 0,
            corb_rp_reset: false,
            corb_ctl: 0,
            corb_sts: 0,
            corb_size: RING_SIZE_DEFAULT,
            rirb_base: 0,
            rirb_wp: 0,
            rintcnt: 0,
            rirb_ctl: 0,
            rirb_sts: 0,
            rirb_size: RING_SIZE_DEFAULT,
            rirb_pending: 0,
            icoi: 0,
            icii: 0,
            icis: 0,
            dpl: 0,
            ssync: 0,
            streams: [Stream::default(); STREAMS],
        }
    }
}

/// The controller.
pub struct HdAudio {
    name: String,
    gctl: u32,
    gsts: u16,
    wakeen: u16,
    statests: u16,
    core: Core,
    codec: Codec,
    /// The interrupt line (ISA IRQ) the controller drives, and its level.
    line: Option<u8>,
    level: bool,
    /// Commands sent to the link.
    pub verbs: u64,
}

/// Entries of a CORB/RIRB of size register `size`.
fn ring_entries(size: u8) -> u16 {
    match size & 3 {
        0 => 2,
        1 => 16,
        _ => 256,
    }
}

fn set32(old: u64, high: bool, value: u32) -> u64 {
    if high {
        (old & 0xFFFF_FFFF) | (value as u64) << 32
    } else {
        (old & !0xFFFF_FFFF) | value as u64
    }
}

impl HdAudio {
    /// A controller out of reset (as the firmware leaves it) with `codec` at address 0.
    pub fn new(name: impl Into<String>, codec: Codec) -> HdAudio {
        HdAudio {
            name: name.into(),
            gctl: GCTL_CRST,
            gsts: 0,
            wakeen: 0,
            statests: 1,
            core: Core::default(),
            codec,
            line: None,
            level: false,
            verbs: 0,
        }
    }

    /// The controller drives interrupt line `line` (an ISA IRQ, 0-15): high while INTCTL's
    /// global enable is set and an enabled cause is pending in INTSTS.
    pub fn with_irq(mut self, line: u8) -> HdAudio {
        self.line = Some(line & 15);
        self
    }

    fn update_line(&mut self, ctx: &mut DeviceContext) {
        let Some(line) = self.line else { return };
        let (status, enable) = (self.intsts(), self.core.intctl);
        let high = !self.in_reset()
            && enable & (1 << 31) != 0
            && ((status & enable & (1 << 30)) != 0 || status & enable & 0x3FFF_FFFF != 0);
        if high != self.level {
            self.level = high;
            ctx.set_irq(line, high);
        }
    }

    fn in_reset(&self) -> bool {
        self.gctl & GCTL_CRST == 0
    }

    /// The register holding byte `offset`: its first byte and size.
    fn register(offset: u64) -> Option<(u64, u8)> {
        let fixed: &[(u64, u8)] = &[
            (0x00, 2),
            (0x02, 1),
            (0x03, 1),
            (0x04, 2),
            (0x06, 2),
            (0x08, 4),
            (0x0C, 2),
            (0x0E, 2),
            (0x10, 2),
            (0x18, 2),
            (0x1A, 2),
            (0x20, 4),
            (0x24, 4),
            (0x30, 4),
            (0x38, 4),
            (0x40, 4),
            (0x44, 4),
            (0x48, 2),
            (0x4A, 2),
            (0x4C, 1),
            (0x4D, 1),
            (0x4E, 1),
            (0x50, 4),
            (0x54, 4),
            (0x58, 2),
            (0x5A, 2),
            (0x5C, 1),
            (0x5D, 1),
            (0x5E, 1),
            (0x60, 4),
            (0x64, 4),
            (0x68, 2),
            (0x70, 4),
            (0x74, 4),
        ];
        if let Some(r) = fixed.iter().find(|(b, s)| (*b..*b + *s as u64).contains(&offset)) {
            return Some(*r);
        }
        // The wall clock's alias, then the stream descriptors and their LPIB aliases.
        if (0x2030..0x2034).contains(&offset) {
            return Some((0x2030, 4));
        }
        let (base, alias) = match offset {
            0x80..0x180 => (STREAM_BASE, false),
            0x2080..0x2180 => (0x2000 + STREAM_BASE, true),
            _ => return None,
        };
        let (n, r) = ((offset - base) / 0x20, (offset - base) % 0x20);
        let start = base + n * 0x20;
        let reg = match r {
            0..=2 if !alias => (0, 3),
            3 if !alias => (3, 1),
            4..=7 => (4, 4),
            8..=0xB if !alias => (8, 4),
            0xC..=0xD if !alias => (0xC, 2),
            0x10..=0x11 if !alias => (0x10, 2),
            0x12..=0x13 if !alias => (0x12, 2),
            0x18..=0x1B if !alias => (0x18, 4),
            0x1C..=0x1F if !alias => (0x1C, 4),
            _ => return None,
        };
        Some((start + reg.0, reg.1))
    }

    fn read_register(&self, base: u64, ctx: &mut DeviceContext) -> u32 {
        let c = &self.core;
        match base {
            0x00 => GCAP as u32,
            0x02 => 0,
            0x03 => 1,
            0x04 => 0x3C,
            0x06 => 0x1D,
            0x08 => self.gctl,
            0x0C => self.wakeen as u32,
            0x0E => self.statests as u32,
            0x10 => self.gsts as u32,
            0x18 => 0x30,
            0x1A => 0x18,
            _ if self.in_reset() => 0,
            0x20 => c.intctl,
            0x24 => self.intsts(),
            0x30 | 0x2030 => {
                let (cycles, hz) = (ctx.clock.cycles() as u128, ctx.clock.tsc_hz.max(1) as u128);
                (cycles * 24_000_000 / hz) as u32
            }
            0x38 => c.ssync,
            0x40 => c.corb_base as u32,
            0x44 => (c.corb_base >> 32) as u32,
            0x48 => c.corb_wp as u32,
            0x4A => c.corb_rp as u32 | if c.corb_rp_reset { CORBRP_RST as u32 } else { 0 },
            0x4C => c.corb_ctl as u32,
            0x4D => c.corb_sts as u32,
            0x4E => c.corb_size as u32,
            0x50 => c.rirb_base as u32,
            0x54 => (c.rirb_base >> 32) as u32,
            0x58 => c.rirb_wp as u32,
            0x5A => c.rintcnt as u32,
            0x5C => c.rirb_ctl as u32,
            0x5D => c.rirb_sts as u32,
            0x5E => c.rirb_size as u32,
            0x60 => c.icoi,
            0x64 => c.icii,
            0x68 => c.icis as u32,
            0x70 => c.dpl as u32,
            0x74 => (c.dpl >> 32) as u32,
            _ => {
                // A stream descriptor or its LPIB alias (`register` names nothing else).
                let rel = (base & 0xFFF).saturating_sub(STREAM_BASE);
                let Some(s) = c.streams.get((rel / 0x20) as usize) else { return 0 };
                let r = rel % 0x20;
                match r {
                    0 => s.ctl,
                    3 => s.sts as u32,
                    8 => s.cbl,
                    0xC => s.lvi as u32,
                    // A FIFO of 64 bytes; LPIB (and its alias) stays 0: no samples move.
                    0x10 => 0x3F,
                    0x12 => s.fmt as u32,
                    0x18 => s.bdpl,
                    0x1C => s.bdpu,
                    _ => 0,
                }
            }
        }
    }

    /// A write of the bits in `mask` of `value` to the register at `base`.
    fn write_register(&mut self, base: u64, value: u32, mask: u32, ctx: &mut DeviceContext) {
        let merge = |old: u32| (old & !mask) | (value & mask);
        let ones = value & mask;
        match base {
            0x08 => {
                let was_reset = self.in_reset();
                self.gctl = merge(self.gctl) & (GCTL_CRST | GCTL_UNSOL);
                if ones & GCTL_FCNTRL != 0 && !self.in_reset() {
                    self.gsts |= 1 << 1; // the flush completes at once
                }
                match (was_reset, self.in_reset()) {
                    (false, true) => self.core = Core::default(),
                    // The link comes up and codec 0 asks for its state change to be seen.
                    (true, false) => self.statests |= 1,
                    _ => {}
                }
            }
            0x0C => self.wakeen = merge(self.wakeen as u32) as u16 & 0x7FFF,
            0x0E => self.statests &= !(ones as u16),
            0x10 => self.gsts &= !(ones as u16 & 1 << 1),
            _ if self.in_reset() => {}
            0x20 => self.core.intctl = merge(self.core.intctl),
            0x38 => self.core.ssync = merge(self.core.ssync) & ((1 << STREAMS) - 1),
            0x40 => self.core.corb_base = set32(self.core.corb_base, false, merge(self.core.corb_base as u32) & !0x7F),
            0x44 => self.core.corb_base = set32(self.core.corb_base, true, merge((self.core.corb_base >> 32) as u32)),
            0x48 => {
                self.core.corb_wp = merge(self.core.corb_wp as u32) as u8;
                self.run_corb(ctx);
            }
            0x4A => {
                let v = merge(self.core.corb_rp as u32) as u16;
                if v & CORBRP_RST != 0 {
                    self.core.corb_rp = 0;
                    self.core.corb_rp_reset = true;
                } else if mask & (CORBRP_RST as u32) != 0 {
                    self.core.corb_rp_reset = false;
                }
            }
            0x4C => {
                self.core.corb_ctl = merge(self.core.corb_ctl as u32) as u8 & (CORBCTL_CMEIE | CORBCTL_RUN);
                self.run_corb(ctx);
            }
            0x4D => self.core.corb_sts &= !(ones as u8),
            0x4E if self.core.corb_ctl & CORBCTL_RUN == 0 => {
                self.core.corb_size = (self.core.corb_size & 0xF0) | (merge(self.core.corb_size as u32) as u8 & 3)
            }
            0x50 => self.core.rirb_base = set32(self.core.rirb_base, false, merge(self.core.rirb_base as u32) & !0x7F),
            0x54 => self.core.rirb_base = set32(self.core.rirb_base, true, merge((self.core.rirb_base >> 32) as u32)),
            0x58 if ones & RIRBWP_RST as u32 != 0 => self.core.rirb_wp = 0,
            0x5A => self.core.rintcnt = merge(self.core.rintcnt as u32) as u16 & 0xFF,
            0x5C => {
                self.core.rirb_ctl =
                    merge(self.core.rirb_ctl as u32) as u8 & (RIRBCTL_RINTCTL | RIRBCTL_DMAEN | RIRBCTL_OIC)
            }
            0x5D => self.core.rirb_sts &= !(ones as u8 & (RIRBSTS_RINTFL | RIRBSTS_OIS)),
            0x5E if self.core.rirb_ctl & RIRBCTL_DMAEN == 0 => {
                self.core.rirb_size = (self.core.rirb_size & 0xF0) | (merge(self.core.rirb_size as u32) as u8 & 3)
            }
            0x60 => self.core.icoi = merge(self.core.icoi),
            0x68 => {
                let c = &mut self.core;
                c.icis &= !(ones as u16 & ICIS_IRV);
                // The immediate interface is not for use while the CORB runs.
                if ones & ICIS_ICB as u32 != 0 && c.corb_ctl & CORBCTL_RUN == 0 {
                    let verb = c.icoi;
                    if let Some(r) = self.send(verb) {
                        self.core.icii = r;
                        self.core.icis |= ICIS_IRV;
                    }
                }
            }
            // Bit 0 enables the buffer; bits 6:1 are reserved.
            0x70 => self.core.dpl = set32(self.core.dpl, false, merge(self.core.dpl as u32) & !0x7E),
            0x74 => self.core.dpl = set32(self.core.dpl, true, merge((self.core.dpl >> 32) as u32)),
            _ if (STREAM_BASE..STREAM_BASE + 0x20 * STREAMS as u64).contains(&base) => {
                let (n, r) = ((base - STREAM_BASE) / 0x20, (base - STREAM_BASE) % 0x20);
                let s = &mut self.core.streams[n as usize];
                match r {
                    0 => {
                        s.ctl = merge(s.ctl) & 0x00FF_001F;
                        if s.ctl & 1 != 0 {
                            // In stream reset: everything else back to its reset value.
                            *s = Stream { ctl: 1, ..Stream::default() };
                        }
                    }
                    3 => s.sts &= !(ones as u8 & 0x1C),
                    8 => s.cbl = merge(s.cbl),
                    0xC => s.lvi = merge(s.lvi as u32) as u16 & 0xFF,
                    0x12 => s.fmt = merge(s.fmt as u32) as u16 & 0x7F7F,
                    0x18 => s.bdpl = merge(s.bdpl) & !0x7F,
                    0x1C => s.bdpu = merge(s.bdpu),
                    _ => {}
                }
            }
            _ => {}
        }
    }

    /// INTSTS: the controller's pending causes (CIS) and each stream's (SIS).
    fn intsts(&self) -> u32 {
        let c = &self.core;
        let controller = (c.rirb_sts & RIRBSTS_RINTFL != 0 && c.rirb_ctl & RIRBCTL_RINTCTL != 0)
            || (c.rirb_sts & RIRBSTS_OIS != 0 && c.rirb_ctl & RIRBCTL_OIC != 0)
            || (c.corb_sts & CORBSTS_CMEI != 0 && c.corb_ctl & CORBCTL_CMEIE != 0)
            || self.statests & self.wakeen != 0;
        let streams = c.streams.iter().enumerate().fold(0u32, |a, (i, s)| a | ((s.sts & 0x1C != 0) as u32) << i);
        let cis = (controller as u32) << 30;
        let any = (controller || streams != 0) as u32;
        any << 31 | cis | streams
    }

    /// One command to the link: the response of the codec it addresses, if one is there.
    fn send(&mut self, command: u32) -> Option<u32> {
        self.verbs += 1;
        let (address, nid, verb) = ((command >> 28) as u8, (command >> 20) as u8 & 0x7F, command & 0xF_FFFF);
        (address == 0).then(|| self.codec.command(nid, verb))
    }

    /// Fetches and answers every verb between CORBRP and CORBWP while the CORB runs.
    fn run_corb(&mut self, ctx: &mut DeviceContext) {
        let corb_mask = ring_entries(self.core.corb_size) - 1;
        let rirb_mask = ring_entries(self.core.rirb_size) - 1;
        let mut answered = false;
        while self.core.corb_ctl & CORBCTL_RUN != 0
            && self.core.corb_rp as u16 & corb_mask != self.core.corb_wp as u16 & corb_mask
        {
            let next = (self.core.corb_rp as u16 + 1) & corb_mask;
            let Ok(command) = ctx.dma.read_u32(self.core.corb_base.wrapping_add(next as u64 * 4)) else {
                self.core.corb_sts |= CORBSTS_CMEI;
                self.core.corb_ctl &= !CORBCTL_RUN;
                break;
            };
            self.core.corb_rp = next as u8;
            let Some(response) = self.send(command) else { continue };
            if self.core.rirb_ctl & RIRBCTL_DMAEN == 0 {
                continue;
            }
            let wp = (self.core.rirb_wp as u16 + 1) & rirb_mask;
            let mut entry = [0u8; 8];
            entry[..4].copy_from_slice(&response.to_le_bytes());
            entry[4..].copy_from_slice(&((command >> 28) & 0xF).to_le_bytes());
            if ctx.dma.write(self.core.rirb_base.wrapping_add(wp as u64 * 8), &entry).is_err() {
                self.core.rirb_sts |= RIRBSTS_OIS;
                continue;
            }
            self.core.rirb_wp = wp as u8;
            self.core.rirb_pending += 1;
            let count = if self.core.rintcnt == 0 { 256 } else { self.core.rintcnt };
            if self.core.rirb_pending >= count {
                self.raise_response_interrupt();
            }
            answered = true;
        }
        // The link's next frame brings an empty response slot: what was written is signalled.
        if answered && self.core.rirb_pending > 0 {
            self.raise_response_interrupt();
        }
    }

    fn raise_response_interrupt(&mut self) {
        self.core.rirb_pending = 0;
        if self.core.rirb_ctl & RIRBCTL_RINTCTL != 0 {
            self.core.rirb_sts |= RIRBSTS_RINTFL;
        }
    }
}

impl MmioDevice for HdAudio {
    fn name(&self) -> &str {
        &self.name
    }

    fn read(&mut self, offset: u64, width: Width, ctx: &mut DeviceContext) -> u32 {
        let mut v = 0u32;
        for i in 0..width.bytes() as u64 {
            let at = offset + i;
            let b = match Self::register(at) {
                Some((base, _)) => (self.read_register(base, ctx) >> (8 * (at - base))) as u8,
                None => 0,
            };
            v |= (b as u32) << (8 * i);
        }
        v
    }

    fn write(&mut self, offset: u64, width: Width, value: u32, ctx: &mut DeviceContext) {
        // Each register the access covers sees its own bytes, once.
        let mut i = 0u64;
        let n = width.bytes() as u64;
        while i < n {
            let at = offset + i;
            let Some((base, size)) = Self::register(at) else {
                i += 1;
                continue;
            };
            let (mut v, mut mask) = (0u32, 0u32);
            while i < n && offset + i < base + size as u64 {
                let shift = 8 * (offset + i - base);
                v |= ((value >> (8 * i)) & 0xFF) << shift;
                mask |= 0xFF << shift;
                i += 1;
            }
            self.write_register(base, v, mask, ctx);
        }
        self.update_line(ctx);
    }
}
