//! ZwSetInformationProcess: working-set and quota limits, break-on-termination and I/O
//! priority, kept per process and answered back by ZwQueryInformationProcess; both
//! architectures, through the real stubs.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::guest::*;
use common::*;

const CURRENT: u64 = u64::MAX;
const STATUS_INVALID_INFO_CLASS: u32 = 0xC000_0003;
const STATUS_INFO_LENGTH_MISMATCH: u32 = 0xC000_0004;
const STATUS_INVALID_HANDLE: u32 = 0xC000_0008;
const STATUS_INVALID_PARAMETER: u32 = 0xC000_000D;
const STATUS_BAD_WORKING_SET_LIMIT: u32 = 0xC000_004C;

fn set(fx: &mut Fx, class: u64, bytes: &[u8]) -> u32 {
    let info = fx.put(bytes);
    let h = fx.arch.mask(CURRENT);
    ok32(fx, "ZwSetInformationProcess", &[h, class, info, bytes.len() as u64])
}

fn query_u32(fx: &mut Fx, class: u64) -> u32 {
    let info = fx.alloc(4);
    let h = fx.arch.mask(CURRENT);
    assert_eq!(ok32(fx, "ZwQueryInformationProcess", &[h, class, info, 4, 0]), 0);
    fx.k.mem().read_u32(info).unwrap()
}

/// QUOTA_LIMITS(_EX) with the working-set sizes and (EX only) the flags.
fn quota(arch: Arch, min: u64, max: u64, flags: Option<u32>) -> Vec<u8> {
    let ps = arch.ptr_size() as usize;
    let (plain, ex, flags_at) = if arch == Arch::X86 { (0x20, 0x38, 0x30) } else { (0x30, 0x58, 0x50) };
    let mut b = vec![0u8; if flags.is_some() { ex } else { plain }];
    b[2 * ps..2 * ps + ps].copy_from_slice(&min.to_le_bytes()[..ps]);
    b[3 * ps..3 * ps + ps].copy_from_slice(&max.to_le_bytes()[..ps]);
    if let Some(f) = flags {
        b[flags_at..flags_at + 4].copy_from_slice(&f.to_le_bytes());
    }
    b
}

fn settings(fx: &Fx) -> portcullis_hle::zw::process_set::ProcessSettings {
    portcullis_hle::zw::process_set::settings(&fx.k, fx.k.ext().system.system_process)
}

#[test]
fn working_set_limits_are_validated_and_kept() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        assert_eq!(set(&mut fx, 1, &quota(arch, 0x10_0000, 0x40_0000, Some(0x1 | 0x4))), 0);
        let s = settings(&fx);
        assert_eq!(s.working_set, Some((0x10_0000, 0x40_0000)));
        assert_eq!(s.hard_working_set, (true, true));
        // The plain QUOTA_LIMITS form leaves the hard limits as they are.
        assert_eq!(set(&mut fx, 1, &quota(arch, 0x20_0000, 0x40_0000, None)), 0);
        assert_eq!(settings(&fx).hard_working_set, (true, true));
        assert_eq!(set(&mut fx, 1, &quota(arch, 0x20_0000, 0x40_0000, Some(0x2))), 0);
        assert_eq!(settings(&fx).hard_working_set, (false, true));
        // Emptying the working set keeps the limits.
        let all = arch.mask(u64::MAX);
        assert_eq!(set(&mut fx, 1, &quota(arch, all, all, None)), 0);
        assert_eq!(settings(&fx).working_set, Some((0x20_0000, 0x40_0000)));
        assert_eq!(set(&mut fx, 1, &quota(arch, 0x50_0000, 0x40_0000, None)), STATUS_BAD_WORKING_SET_LIMIT);
        assert_eq!(set(&mut fx, 1, &quota(arch, 1, 2, Some(0x1 | 0x2))), STATUS_INVALID_PARAMETER);
        assert_eq!(set(&mut fx, 1, &quota(arch, 1, 2, Some(0x100))), STATUS_INVALID_PARAMETER);
        let mut short = quota(arch, 1, 2, None);
        short.pop();
        assert_eq!(set(&mut fx, 1, &short), STATUS_INFO_LENGTH_MISMATCH);
        assert_eq!(settings(&fx).working_set, Some((0x20_0000, 0x40_0000)), "failed requests change nothing");
    }
}

#[test]
fn break_on_termination_and_io_priority_read_back() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        assert_eq!(query_u32(&mut fx, 29), 0);
        assert_eq!(query_u32(&mut fx, 33), 2, "IoPriorityNormal");
        assert_eq!(set(&mut fx, 29, &1u32.to_le_bytes()), 0);
        assert_eq!(query_u32(&mut fx, 29), 1);
        assert_eq!(set(&mut fx, 33, &0u32.to_le_bytes()), 0);
        assert_eq!(query_u32(&mut fx, 33), 0);
        assert_eq!(set(&mut fx, 33, &5u32.to_le_bytes()), STATUS_INVALID_PARAMETER);
        assert_eq!(set(&mut fx, 33, &[0, 0]), STATUS_INFO_LENGTH_MISMATCH);
        assert_eq!(query_u32(&mut fx, 33), 0);
        assert_eq!(set(&mut fx, 29, &0u32.to_le_bytes()), 0);
        assert_eq!(query_u32(&mut fx, 29), 0);
        // A class nothing here keeps, and a handle that is none.
        assert_eq!(set(&mut fx, 40, &[0; 8]), STATUS_INVALID_INFO_CLASS);
        let info = fx.put(&[1, 0, 0, 0]);
        assert_eq!(ok32(&mut fx, "ZwSetInformationProcess", &[0x1234, 29, info, 4]), STATUS_INVALID_HANDLE);
    }
}
