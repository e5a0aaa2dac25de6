//! HalReturnToFirmware: what the HAL does when the system halts, powers down or reboots.
//! Every routine first says so in the report (a notice); reboot and restart then pulse the
//! keyboard controller's reset line (0xFE to port 0x64), as the HAL's reboot path does,
//! which resets the machine when the board has the controller; what does not reset ends
//! with the processor halted with interrupts off, where the HAL leaves it. Other values do
//! nothing.
#![allow(non_snake_case)]

use portcullis_emu::ports::Width;
use portcullis_emu::Stop;

use crate::events::{push, Notice, SystemEvent};
use crate::kernel::{caller, KError, KResult, Kx};

/// FIRMWARE_REENTRY.
const HALT: u32 = 0;
const POWER_DOWN: u32 = 1;
const RESTART: u32 = 2;
const REBOOT: u32 = 3;

/// VOID HalReturnToFirmware(FIRMWARE_REENTRY Routine)
pub fn HalReturnToFirmware(k: &mut Kx, routine: u32) -> KResult<()> {
    let what = match routine {
        HALT => "HalHaltRoutine",
        POWER_DOWN => "HalPowerDownRoutine",
        RESTART => "HalRestartRoutine",
        REBOOT => "HalRebootRoutine",
        _ => return Ok(()),
    };
    let at = caller(k);
    push(k, SystemEvent::Notice(Notice { kind: "return_to_firmware", detail: what.into(), caller: at }));
    if routine == RESTART || routine == REBOOT {
        // A reset ends the run here (Stop::Reset from the controller).
        k.port_io(0x64, Width::Byte, Some(0xFE), at).map_err(KError::Stop)?;
    }
    Err(KError::Stop(Stop::Halted { pc: at }))
}
