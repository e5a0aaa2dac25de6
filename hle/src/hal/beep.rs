//! HalMakeBeep: the PC speaker, through the programmable interval timer's channel 2 and the
//! speaker gate at port 0x61, with the same port mediation and trace as a driver's own
//! `out`s.
#![allow(non_snake_case)]

use portcullis_emu::ports::Width;

use crate::kernel::{caller, KError, KResult, Kx};
use crate::types::Boolean;

/// The PIT's input clock.
const PIT_HZ: u32 = 1_193_182;

/// BOOLEAN HalMakeBeep(ULONG Frequency)
///
/// Sounds the speaker at `Frequency` Hz, or silences it for 0. FALSE (and silence) when the
/// frequency is beyond what the timer's 16-bit divisor can make.
pub fn HalMakeBeep(k: &mut Kx, frequency: u32) -> KResult<Boolean> {
    let at = caller(k);
    let io = |k: &mut Kx, port: u16, out: Option<u32>| k.port_io(port, Width::Byte, out, at).map_err(KError::Stop);
    let gate = io(k, 0x61, None)?;
    io(k, 0x61, Some(gate & !0x03))?;
    if frequency == 0 {
        return Ok(Boolean(true));
    }
    let divisor = PIT_HZ / frequency;
    if divisor == 0 || divisor > 0xFFFF {
        return Ok(Boolean(false));
    }
    io(k, 0x43, Some(0xB6))?;
    io(k, 0x42, Some(divisor & 0xFF))?;
    io(k, 0x42, Some(divisor >> 8))?;
    io(k, 0x61, Some((gate & !0x03) | 0x03))?;
    Ok(Boolean(true))
}
