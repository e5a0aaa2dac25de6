//! IoGetConfigurationInformation: one CONFIGURATION_INFORMATION for the run, starting with
//! the machine's disk, and the counts drivers add stay; both architectures, through the real
//! stubs.
#[allow(unused_imports)] // not every test file uses every helper
mod common;
use common::fx::*;
use common::guest::*;
use common::*;

use portcullis_hle::layout::{FieldAccess, CONFIGURATION_INFORMATION as CI};

#[test]
fn one_configuration_with_the_machines_disk_that_drivers_count_into() {
    for arch in both() {
        let mut fx = Fx::new(arch);
        let c = ok(&mut fx, "IoGetConfigurationInformation", &[]);
        assert_ne!(c, 0);
        let m = fx.k.mem();
        assert_eq!(m.get(c, CI::DiskCount).unwrap(), 1, "\\Device\\Harddisk0\\DR0");
        for f in [CI::FloppyCount, CI::CdRomCount, CI::TapeCount, CI::ScsiPortCount, CI::SerialCount, CI::ParallelCount]
        {
            assert_eq!(m.get(c, f).unwrap(), 0, "{}", f.name);
        }
        // A serial driver counts the port it made; the next caller sees it.
        fx.k.mem_mut().set(c, CI::SerialCount, 1).unwrap();
        assert_eq!(ok(&mut fx, "IoGetConfigurationInformation", &[]), c);
        assert_eq!(fx.k.mem().get(c, CI::SerialCount).unwrap(), 1);
    }
}
