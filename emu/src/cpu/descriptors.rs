//! GDT, IDT and TSS contents, laid out as Windows lays them out.
//!
//! They live in guest memory so a driver that runs `sgdt`/`sidt`/`str` finds real tables.
//! Selectors follow Windows (KGDT_* / KGDT64_*), with one deliberate difference: driver code
//! runs at CPL3 (see docs/architecture.md), so it uses the ring-3 code and stack selectors,
//! and on x86 the KPCR descriptor (0x30) has DPL 3 so FS can be loaded with it at CPL3.

use crate::arch::Arch;

/// Selectors the machine runs driver code with.
#[derive(Clone, Copy, Debug)]
pub struct Selectors {
    pub kernel_cs: u16,
    pub kernel_ss: u16,
    pub cs: u16,
    pub ss: u16,
    pub ds: u16,
    pub fs: u16,
    pub tss: u16,
}

impl Selectors {
    pub fn for_arch(arch: Arch) -> Selectors {
        match arch {
            // KGDT_R0_CODE 0x08, KGDT_R0_DATA 0x10, KGDT_R3_CODE 0x18, KGDT_R3_DATA 0x20,
            // KGDT_TSS 0x28, KGDT_R0_PCR 0x30.
            Arch::X86 => {
                Selectors { kernel_cs: 0x08, kernel_ss: 0x10, cs: 0x1B, ss: 0x23, ds: 0x23, fs: 0x33, tss: 0x28 }
            }
            // KGDT64_R0_CODE 0x10, KGDT64_R0_DATA 0x18, KGDT64_R3_DATA 0x28, KGDT64_R3_CODE 0x30,
            // KGDT64_SYS_TSS 0x40.
            Arch::X64 => {
                Selectors { kernel_cs: 0x10, kernel_ss: 0x18, cs: 0x33, ss: 0x2B, ds: 0x2B, fs: 0x53, tss: 0x40 }
            }
        }
    }
}

/// Size of the TSS structure proper (both architectures), before the I/O map.
pub const TSS_SIZE: u64 = 0x68;
/// I/O permission map: 8 KiB plus the trailing all-ones byte.
pub const IOPM_SIZE: u64 = 0x2001;

fn segment(base: u32, limit: u32, access: u8, flags: u8) -> u64 {
    let (limit, gran) = if limit > 0xFFFFF { (limit >> 12, 0x8) } else { (limit, 0) };
    (limit as u64 & 0xFFFF)
        | ((base as u64 & 0xFF_FFFF) << 16)
        | ((access as u64) << 40)
        | (((limit as u64 >> 16) & 0xF) << 48)
        | (((flags | gran) as u64 & 0xF) << 52)
        | (((base as u64 >> 24) & 0xFF) << 56)
}

/// The x86 FS selector that reaches processor `cpu`'s control region: 0x33 (KGDT_R0_PCR with
/// RPL 3) for the first, then one descriptor each after the TEB's, from 0x43.
pub fn per_cpu_fs(cpu: u32) -> u16 {
    match cpu {
        0 => 0x33,
        n => 0x43 + 8 * (n as u16 - 1),
    }
}

/// The GDT image for `arch`. `tss` and `tss_limit` describe the task state segment,
/// `per_cpu` the processor control regions' addresses (x86 FS bases, one descriptor each;
/// x64 reaches them through GS_BASE and needs none).
pub fn gdt(arch: Arch, tss: u64, tss_limit: u32, per_cpu: &[u64]) -> Vec<u8> {
    let kpcr = per_cpu.first().copied().unwrap_or(0);
    let mut d: Vec<u64> = match arch {
        Arch::X86 => vec![
            0,
            segment(0, 0xFFFF_FFFF, 0x9B, 0x4),        // 0x08 ring-0 code
            segment(0, 0xFFFF_FFFF, 0x93, 0x4),        // 0x10 ring-0 data
            segment(0, 0xFFFF_FFFF, 0xFB, 0x4),        // 0x18 ring-3 code
            segment(0, 0xFFFF_FFFF, 0xF3, 0x4),        // 0x20 ring-3 data
            segment(tss as u32, tss_limit, 0x89, 0x0), // 0x28 TSS (available)
            segment(kpcr as u32, 0x3FFF, 0xF3, 0x4),   // 0x30 KPCR, DPL 3 (see module doc)
            segment(0, 0xFFF, 0xF3, 0x4),              // 0x38 TEB
        ]
        .into_iter()
        // 0x40, 0x48, ...: the control regions of the other processors, like 0x30.
        .chain(per_cpu.iter().skip(1).map(|base| segment(*base as u32, 0x3FFF, 0xF3, 0x4)))
        .collect(),
        Arch::X64 => {
            let tss_lo = segment(tss as u32, tss_limit, 0x89, 0x0);
            let tss_hi = tss >> 32;
            vec![
                0,
                0,
                0x0020_9B00_0000_0000,              // 0x10 ring-0 code, long mode
                segment(0, 0xFFFF_FFFF, 0x93, 0x4), // 0x18 ring-0 data
                segment(0, 0xFFFF_FFFF, 0xFB, 0x4), // 0x20 ring-3 compatibility code
                segment(0, 0xFFFF_FFFF, 0xF3, 0x4), // 0x28 ring-3 data
                0x0020_FB00_0000_0000,              // 0x30 ring-3 code, long mode
                0,
                tss_lo, // 0x40 TSS, 16 bytes
                tss_hi,
                segment(0, 0xFFF, 0xF3, 0x4), // 0x50 ring-3 compatibility TEB
            ]
        }
    };
    d.shrink_to_fit();
    d.iter().flat_map(|e| e.to_le_bytes()).collect()
}

/// The IDT image: every vector is an interrupt gate to `handlers + 16 * vector`.
/// Unicorn hands exceptions to the host before any gate is used; the table exists to be read.
pub fn idt(arch: Arch, handlers: u64, kernel_cs: u16) -> Vec<u8> {
    let mut out = Vec::new();
    for v in 0..256u64 {
        let target = handlers + 16 * v;
        // Vectors 3 and 4 (int3, into) and 0x2C/0x2D (assert, debug service) are reachable from ring 3.
        let dpl: u64 = if matches!(v, 3 | 4 | 0x2C | 0x2D) { 3 } else { 0 };
        let type_attr = 0x8E | (dpl << 5);
        let low =
            (target & 0xFFFF) | ((kernel_cs as u64) << 16) | (type_attr << 40) | (((target >> 16) & 0xFFFF) << 48);
        out.extend_from_slice(&low.to_le_bytes());
        if arch == Arch::X64 {
            out.extend_from_slice(&(target >> 32).to_le_bytes());
        }
    }
    out
}

/// The TSS image: ring-0 stack, and an I/O map at offset 0x68 with every port denied.
pub fn tss(arch: Arch, rsp0: u64, kernel_ss: u16) -> Vec<u8> {
    let mut t = vec![0u8; (TSS_SIZE + IOPM_SIZE) as usize];
    match arch {
        Arch::X86 => {
            t[4..8].copy_from_slice(&(rsp0 as u32).to_le_bytes()); // ESP0
            t[8..10].copy_from_slice(&kernel_ss.to_le_bytes()); // SS0
        }
        Arch::X64 => t[4..12].copy_from_slice(&rsp0.to_le_bytes()), // RSP0
    }
    t[0x66..0x68].copy_from_slice(&(TSS_SIZE as u16).to_le_bytes()); // I/O map base
    for b in &mut t[TSS_SIZE as usize..] {
        *b = 0xFF;
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_segments_encode_like_the_textbook() {
        assert_eq!(segment(0, 0xFFFF_FFFF, 0x9B, 0x4), 0x00CF_9B00_0000_FFFF);
        assert_eq!(segment(0, 0xFFFF_FFFF, 0xF3, 0x4), 0x00CF_F300_0000_FFFF);
    }

    #[test]
    fn x64_gdt_has_the_windows_selectors() {
        let g = gdt(Arch::X64, 0xFFFF_F800_1234_5000, 0x2068, &[0]);
        let e = |sel: usize| u64::from_le_bytes(g[sel..sel + 8].try_into().unwrap());
        assert_eq!(e(0x10), 0x0020_9B00_0000_0000);
        assert_eq!(e(0x30), 0x0020_FB00_0000_0000);
        assert_eq!(e(0x48), 0xFFFF_F800);
        assert_eq!(g.len(), 0x58);
    }

    #[test]
    fn x86_gdt_has_one_pcr_descriptor_per_processor() {
        let g = gdt(Arch::X86, 0x8000_1000, 0x2068, &[0xFFDF_F000, 0xFFE0_4000, 0xFFE0_9000]);
        let base = |sel: u16| {
            let e = u64::from_le_bytes(g[(sel & !7) as usize..][..8].try_into().unwrap());
            ((e >> 16) & 0xFF_FFFF) | (((e >> 56) & 0xFF) << 24)
        };
        assert_eq!(base(per_cpu_fs(0)), 0xFFDF_F000);
        assert_eq!(base(per_cpu_fs(1)), 0xFFE0_4000);
        assert_eq!(base(per_cpu_fs(2)), 0xFFE0_9000);
        assert_eq!(g.len(), 0x50);
    }

    #[test]
    fn tss_io_map_denies_everything() {
        let t = tss(Arch::X86, 0x8000_0000, 0x10);
        assert_eq!(u16::from_le_bytes([t[0x66], t[0x67]]), 0x68);
        assert!(t[0x68..].iter().all(|&b| b == 0xFF));
        assert_eq!(t.len(), 0x68 + 0x2001);
    }
}
