//! The CPU identity `cpuid` reports.
//!
//! The default identity is a Westmere-class Intel Core i7, matching the Unicorn CPU model the
//! machine runs (Westmere: SSE4.2, POPCNT, AES-NI, PCLMULQDQ; no AVX, no RDRAND, no VMX).
//! Feature bits never claim an instruction the emulated CPU would reject. Vendor, brand and
//! signature are configurable: drivers often branch on them (Intel-only thermal MSRs, say).

use serde::Serialize;

/// What `cpuid` answers.
#[derive(Clone, Debug, Serialize)]
pub struct CpuIdentity {
    /// 12-character vendor string ("GenuineIntel", "AuthenticAMD").
    pub vendor: String,
    /// Up to 48 characters returned by leaves 0x80000002..4.
    pub brand: String,
    pub family: u32,
    pub model: u32,
    pub stepping: u32,
    /// Leaf 1 EDX / ECX feature bits.
    pub features_edx: u32,
    pub features_ecx: u32,
    /// Leaf 0x80000001 EDX / ECX.
    pub ext_features_edx: u32,
    pub ext_features_ecx: u32,
    /// Logical processors reported in leaf 1 EBX.
    pub logical_processors: u32,
}

const ECX_SSE3: u32 = 1 << 0;
const ECX_PCLMULQDQ: u32 = 1 << 1;
const ECX_DTES64: u32 = 1 << 2;
const ECX_DSCPL: u32 = 1 << 4;
const ECX_EST: u32 = 1 << 7;
const ECX_TM2: u32 = 1 << 8;
const ECX_SSSE3: u32 = 1 << 9;
const ECX_CX16: u32 = 1 << 13;
const ECX_XTPR: u32 = 1 << 14;
const ECX_PDCM: u32 = 1 << 15;
const ECX_SSE41: u32 = 1 << 19;
const ECX_SSE42: u32 = 1 << 20;
const ECX_POPCNT: u32 = 1 << 23;
const ECX_AES: u32 = 1 << 25;

impl Default for CpuIdentity {
    fn default() -> Self {
        CpuIdentity {
            vendor: "GenuineIntel".into(),
            brand: "Intel(R) Core(TM) i7 CPU       X 980  @ 3.33GHz".into(),
            family: 6,
            model: 0x2C,
            stepping: 2,
            // FPU..PBE as a Westmere reports them.
            features_edx: 0xBFEB_FBFF,
            features_ecx: ECX_SSE3
                | ECX_PCLMULQDQ
                | ECX_DTES64
                | ECX_DSCPL
                | ECX_EST
                | ECX_TM2
                | ECX_SSSE3
                | ECX_CX16
                | ECX_XTPR
                | ECX_PDCM
                | ECX_SSE41
                | ECX_SSE42
                | ECX_POPCNT
                | ECX_AES,
            // SYSCALL, NX, RDTSCP, LM.
            ext_features_edx: (1 << 11) | (1 << 20) | (1 << 27) | (1 << 29),
            // LAHF/SAHF in long mode.
            ext_features_ecx: 1,
            logical_processors: 1,
        }
    }
}

impl CpuIdentity {
    /// The four registers for leaf `eax`, sub-leaf `ecx`.
    pub fn leaf(&self, eax: u32, ecx: u32) -> [u32; 4] {
        let vendor = pad::<12>(&self.vendor);
        let vend = |i: usize| u32::from_le_bytes(vendor[i * 4..i * 4 + 4].try_into().unwrap());
        match eax {
            0 => [0xB, vend(0), vend(2), vend(1)],
            1 => {
                let (fam, ext_fam) = if self.family >= 0xF { (0xF, self.family - 0xF) } else { (self.family, 0) };
                let signature = (ext_fam << 20)
                    | (((self.model >> 4) & 0xF) << 16)
                    | (fam << 8)
                    | ((self.model & 0xF) << 4)
                    | (self.stepping & 0xF);
                // Brand index 0, CLFLUSH line 8 qwords, logical count, initial APIC id 0.
                let ebx = (8 << 8) | ((self.logical_processors & 0xFF) << 16);
                [signature, ebx, self.features_ecx, self.features_edx]
            }
            // Cache descriptors of a Westmere.
            2 => [0x5535_5A01, 0x00F0_B2E4, 0, 0x09CA_212C],
            4 => match ecx {
                0 => [0x1C00_4121, 0x01C0_003F, 0x0000_003F, 0],
                1 => [0x1C00_4122, 0x00C0_003F, 0x0000_007F, 0],
                2 => [0x1C00_4143, 0x01C0_003F, 0x0000_01FF, 0],
                3 => [0x1C03_C163, 0x02C0_003F, 0x0000_2FFF, 2],
                _ => [0; 4],
            },
            // Thermal and power: digital thermal sensor, ARAT.
            6 => [0x0000_0007, 2, 1, 0],
            0x8000_0000 => [0x8000_0008, 0, 0, 0],
            0x8000_0001 => [0, 0, self.ext_features_ecx, self.ext_features_edx],
            0x8000_0002..=0x8000_0004 => {
                let brand = pad::<48>(&self.brand);
                let base = (eax - 0x8000_0002) as usize * 16;
                let r = |i: usize| u32::from_le_bytes(brand[base + i * 4..base + i * 4 + 4].try_into().unwrap());
                [r(0), r(1), r(2), r(3)]
            }
            0x8000_0006 => [0, 0, 0x0100_6040, 0],
            0x8000_0007 => [0, 0, 0, 1 << 8],
            // 36 physical and 48 linear address bits.
            0x8000_0008 => [0x0000_3024, 0, 0, 0],
            // Leaves 3, 5, 7..0xB and the rest: nothing to report.
            _ => [0; 4],
        }
    }
}

fn pad<const N: usize>(s: &str) -> [u8; N] {
    let mut out = [0u8; N];
    for (d, b) in out.iter_mut().zip(s.bytes()) {
        *d = b;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_string_is_split_ebx_edx_ecx() {
        let id = CpuIdentity::default();
        let [max, b, c, d] = id.leaf(0, 0);
        assert_eq!(max, 0xB);
        let mut v = Vec::new();
        for r in [b, d, c] {
            v.extend_from_slice(&r.to_le_bytes());
        }
        assert_eq!(&v, b"GenuineIntel");
    }

    #[test]
    fn signature_encodes_family_model_stepping() {
        let id = CpuIdentity::default();
        assert_eq!(id.leaf(1, 0)[0], 0x0002_06C2);
    }

    #[test]
    fn brand_string_spans_three_leaves() {
        let id = CpuIdentity { brand: "Portcullis Virtual CPU".into(), ..Default::default() };
        let mut s = Vec::new();
        for leaf in 0x8000_0002..=0x8000_0004u32 {
            for r in id.leaf(leaf, 0) {
                s.extend_from_slice(&r.to_le_bytes());
            }
        }
        assert!(s.starts_with(b"Portcullis Virtual CPU\0"));
    }

    #[test]
    fn no_avx_vmx_or_rdrand_is_claimed() {
        let ecx = CpuIdentity::default().leaf(1, 0)[2];
        assert_eq!(ecx & (1 << 28), 0, "AVX");
        assert_eq!(ecx & (1 << 5), 0, "VMX");
        assert_eq!(ecx & (1 << 30), 0, "RDRAND");
    }
}
