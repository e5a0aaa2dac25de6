//! ZwPowerInformation: what the power manager says about the machine's power.
//!
//! Answered levels: ProcessorInformation (a PROCESSOR_POWER_INFORMATION per processor, all
//! running at the machine's one clock rate, in no idle state), SystemBatteryState (on AC
//! power, no battery: the emulated machine has none), LastWakeTime and LastSleepTime (0:
//! the machine has never slept). These levels take no input. Other levels (power policies,
//! capabilities, requests) are not answered: STATUS_INVALID_PARAMETER, what the power manager
//! returns for a level it does not know.
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::types::{status, NtStatus, Ptr};

/// POWER_INFORMATION_LEVEL values answered.
pub const SYSTEM_BATTERY_STATE: u32 = 5;
pub const PROCESSOR_INFORMATION: u32 = 11;
pub const LAST_WAKE_TIME: u32 = 14;
pub const LAST_SLEEP_TIME: u32 = 15;

/// BATTERY_UNKNOWN_TIME: no estimate.
const UNKNOWN_TIME: u32 = 0xFFFF_FFFF;

fn words(v: &[u32]) -> Vec<u8> {
    v.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// NTSTATUS ZwPowerInformation(POWER_INFORMATION_LEVEL InformationLevel, PVOID InputBuffer,
/// ULONG InputBufferLength, PVOID OutputBuffer, ULONG OutputBufferLength)
pub fn ZwPowerInformation(
    k: &mut Kx,
    level: u32,
    input: Ptr,
    input_len: u32,
    output: Ptr,
    output_len: u32,
) -> KResult<NtStatus> {
    let bytes = match level {
        PROCESSOR_INFORMATION => {
            let mhz = (k.guest().cpu.clock.tsc_hz / 1_000_000) as u32;
            let n = k.ext().sched.processors.len() as u32;
            // Number, MaxMhz, CurrentMhz, MhzLimit, MaxIdleState, CurrentIdleState.
            (0..n).flat_map(|i| words(&[i, mhz, mhz, mhz, 0, 0])).collect()
        }
        SYSTEM_BATTERY_STATE => {
            // AcOnLine, BatteryPresent, Charging, Discharging, Spare1[3], Tag; MaxCapacity,
            // RemainingCapacity, Rate, EstimatedTime, DefaultAlert1, DefaultAlert2.
            let mut b = vec![1, 0, 0, 0, 0, 0, 0, 0];
            b.extend(words(&[0, 0, 0, UNKNOWN_TIME, 0, 0]));
            b
        }
        LAST_WAKE_TIME | LAST_SLEEP_TIME => 0u64.to_le_bytes().to_vec(),
        _ => return Ok(status::INVALID_PARAMETER),
    };
    if !input.is_null() || input_len != 0 {
        return Ok(status::INVALID_PARAMETER);
    }
    if output.is_null() || (output_len as usize) < bytes.len() {
        return Ok(status::BUFFER_TOO_SMALL);
    }
    k.mem_mut().write(output.0, &bytes)?;
    Ok(status::SUCCESS)
}
