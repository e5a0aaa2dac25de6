//! `IoGetConfigurationInformation`: the I/O manager's one CONFIGURATION_INFORMATION, the
//! counts of devices of each class that drivers keep up to date (a serial driver adds the
//! ports it creates to SerialCount and names them `\Device\Serial<n>` from it). It starts
//! with what the machine's own drivers registered: one disk (`\Device\Harddisk0\DR0`, under
//! the C: volume); the machine's serial and parallel ports have no driver until one is
//! loaded, so their counts start at zero.
#![allow(non_snake_case)]

use crate::kernel::{KResult, Kx};
use crate::layout::{FieldAccess, CONFIGURATION_INFORMATION};
use crate::types::Ptr;

/// PCONFIGURATION_INFORMATION IoGetConfigurationInformation(void)
pub fn IoGetConfigurationInformation(k: &mut Kx) -> KResult<Ptr> {
    if k.ext().io.configuration == 0 {
        let size = CONFIGURATION_INFORMATION::STRUCT.size(k.arch());
        let at = crate::ex::pool::kernel_alloc(k, size, b"IoCf")?;
        k.mem_mut().set(at, CONFIGURATION_INFORMATION::DiskCount, 1)?;
        k.ext_mut().io.configuration = at;
    }
    Ok(Ptr(k.ext().io.configuration))
}
