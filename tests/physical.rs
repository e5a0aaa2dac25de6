//! The physical-machine corpus drivers end to end, on both architectures: each of their
//! scenarios (docs in the drivers' sources) runs as the CLI runs it and ends as it says, and
//! the report shows what the drivers did to the machine.

use std::path::PathBuf;

use portcullis::scenario::Scenario;
use portcullis::Sandbox;

fn corpus(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus").join(path)
}

/// Runs `driver` (x86 and x64) with `scenario`; returns each architecture's report.
fn run(driver: &str, scenario: &str) -> Vec<portcullis::Report> {
    let s = Scenario::from_file(&corpus(&format!("{driver}/{scenario}.toml"))).unwrap();
    ["x86", "x64"]
        .iter()
        .map(|arch| {
            let b = s.configure(Sandbox::builder().max_instructions(10_000_000)).unwrap();
            let mut sb = b.load_driver(corpus(&format!("{driver}/{driver}.{arch}.sys"))).unwrap();
            let outcome = s.run(&mut sb);
            let report = sb.report();
            assert!(
                outcome.outcome_as_expected && outcome.failed_expectations == 0,
                "{driver}/{scenario} on {arch}: {:?}\n{}",
                report.failed_expectations,
                report.render_text(false)
            );
            report
        })
        .collect()
}

#[test]
fn physmem_finds_the_firmware_tables_both_ways() {
    for r in run("physmem", "physmem") {
        // Every view it made is gone; some were sections, some I/O space.
        assert!(r.physical_mappings.iter().all(|m| !m.mapped));
        let kinds: Vec<_> = r.physical_mappings.iter().map(|m| format!("{:?}", m.kind)).collect();
        assert!(kinds.contains(&"IoSpace".to_string()) && kinds.contains(&"SectionView".to_string()));
        // The register reads are MMIO with exact pcs in the driver; the ROM reads are not MMIO.
        assert!(r.mmio.iter().all(|m| m.address.starts_with("0xfee00") || m.address.starts_with("0xf000000")));
        assert!(r.mmio.iter().all(|m| m.pc == r.mmio[0].pc));
    }
}

#[test]
fn pcienum_agrees_through_ports_and_hal() {
    for r in run("pcienum", "pcienum") {
        // Every BAR probe was put back: the writes come in all-ones/restore pairs.
        let probes = r.pci_config_writes.iter().filter(|w| w.value == 0xFFFF_FFFF).count();
        assert!(probes >= 10, "{probes}");
        assert!(r.pci_config_writes.iter().any(|w| w.via.contains(&portcullis::emu::pci::Mechanism::Hal)));
        assert!(r.pci_config_writes.iter().any(|w| w.via.contains(&portcullis::emu::pci::Mechanism::Ports)));
    }
}

#[test]
fn mmioreg_drives_its_device_and_faults_on_denied_registers() {
    for r in run("mmioreg", "mmioreg") {
        let reset = r.mmio.iter().find(|m| m.address == "0xfeb00000" && m.dir == "write").unwrap();
        assert_eq!((reset.value, reset.device.as_str()), (1, "00:1c.0 scripted device BAR0"));
        // Three not-ready reads and the ready one, all from the same instruction.
        let polls: Vec<_> = r.mmio.iter().filter(|m| m.address == "0xfeb01000").collect();
        assert_eq!(polls.iter().map(|m| m.count).sum::<u64>(), 4);
        assert!(polls.iter().all(|m| m.pc == polls[0].pc));
        assert!(r.leaks.as_ref().unwrap().is_empty());
    }
    for r in run("mmioreg", "denied") {
        assert_eq!(r.bugchecks[0].code, "0x00000050");
        let denied = r.mmio.iter().find(|m| m.outcome == portcullis::emu::ports::Outcome::Denied).unwrap();
        assert_eq!((denied.address.as_str(), denied.value), ("0xfeb00000", 1));
        // The fault is at the instruction (x64) or the call (x86) that made the access.
        assert_eq!(denied.pc, r.bugchecks[0].params[2]);
    }
    for r in run("mmioreg", "leak") {
        assert_eq!(r.leaks.as_ref().unwrap().mappings.len(), 2);
        // Addresses are hex strings in the JSON report, as everywhere else: a 64-bit kernel
        // address as a JSON number loses its low bits in most readers.
        let json = serde_json::to_value(&r).unwrap();
        for rows in [&json["physical_mappings"], &json["leaks"]["mappings"]] {
            let rows = rows.as_array().unwrap();
            assert!(!rows.is_empty());
            for m in rows {
                for field in ["caller", "virtual_address", "physical_address"] {
                    assert!(m[field].as_str().is_some_and(|s| s.starts_with("0x")), "{field}: {m}");
                }
            }
        }
    }
}

#[test]
fn dmabuf_allocates_locks_and_frees() {
    for r in run("dmabuf", "dmabuf") {
        assert!(r.exceptions.iter().any(|e| e.code_name == Some("STATUS_ACCESS_VIOLATION") && e.outcome == "handled"));
    }
    for r in run("dmabuf", "leak") {
        let leaked = &r.leaks.as_ref().unwrap().memory;
        assert_eq!((leaked.len(), leaked[0].size), (1, 0x2000));
        let json = serde_json::to_value(&r).unwrap();
        let row = &json["leaks"]["memory"][0];
        assert_eq!(row["address"], format!("{:#x}", leaked[0].address));
        assert_eq!(row["physical_address"], format!("{:#x}", leaked[0].physical_address));
        assert_eq!(row["caller"], format!("{:#x}", leaked[0].caller));
    }
}
