//! ZwPowerInformation through the real stub on both architectures: each processor's clock
//! rates, the battery state of a machine on AC power without a battery, the never-slept
//! wake and sleep times, and the refusals (input given, a short output, a level not answered).
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::guest::ok32;
use common::*;

const BUFFER_TOO_SMALL: u32 = 0xC000_0023;
const INVALID_PARAMETER: u32 = 0xC000_000D;

fn u32s_at(fx: &Fx, at: u64, n: usize) -> Vec<u32> {
    u32s(&fx.read(at, 4 * n))
}

#[test]
fn power_information_describes_processors_and_power_source() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let cpus = fx.k.ext().sched.processors.len();
        let mhz = (fx.k.guest().cpu.clock.tsc_hz / 1_000_000) as u32;
        let out = fx.alloc(0x100);
        let n = 24 * cpus as u64;
        assert_eq!(ok32(&mut fx, "ZwPowerInformation", &[11, 0, 0, out, n]), 0, "{arch:?}");
        for i in 0..cpus {
            assert_eq!(u32s_at(&fx, out + 24 * i as u64, 6), [i as u32, mhz, mhz, mhz, 0, 0], "{arch:?}");
        }
        assert_eq!(ok32(&mut fx, "ZwPowerInformation", &[11, 0, 0, out, n - 1]), BUFFER_TOO_SMALL, "{arch:?}");
        assert_eq!(ok32(&mut fx, "ZwPowerInformation", &[11, out, 4, out, n]), INVALID_PARAMETER, "{arch:?}");

        // SYSTEM_BATTERY_STATE: AcOnLine only; no estimate.
        assert_eq!(ok32(&mut fx, "ZwPowerInformation", &[5, 0, 0, out, 32]), 0, "{arch:?}");
        assert_eq!(fx.read(out, 8), [1, 0, 0, 0, 0, 0, 0, 0], "{arch:?}");
        assert_eq!(u32s_at(&fx, out + 8, 6), [0, 0, 0, 0xFFFF_FFFF, 0, 0], "{arch:?}");

        // Never slept.
        fx.k.mem_mut().write_u64(out, u64::MAX).unwrap();
        assert_eq!(ok32(&mut fx, "ZwPowerInformation", &[14, 0, 0, out, 8]), 0, "{arch:?}");
        assert_eq!(fx.k.mem().read_u64(out).unwrap(), 0, "{arch:?}");
        assert_eq!(ok32(&mut fx, "ZwPowerInformation", &[15, 0, 0, out, 4]), BUFFER_TOO_SMALL, "{arch:?}");

        // SystemPowerPolicyAc: not answered.
        assert_eq!(ok32(&mut fx, "ZwPowerInformation", &[0, 0, 0, out, 0x100]), INVALID_PARAMETER, "{arch:?}");
    }
}
