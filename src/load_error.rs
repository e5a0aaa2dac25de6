//! The report of a driver refused at load: the same schema as a run's report
//! (`portcullis-report/1`), with a `load_error` object, what could be read of the image, and
//! no entry points.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use portcullis_emu::{Limits, MemoryUsage};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::record::hex;
use crate::report::{Counts, DriverInfo, Imports, LimitsInfo, Report, SCHEMA};
use crate::sandbox::SandboxError;

/// Why a driver was refused at load.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadErrorInfo {
    /// "unreadable", "malformed", "unsupported", "wrong_arch", "missing_imports", "memory",
    /// "machine", "kernel" or "configuration" (see [`SandboxError::kind`]).
    pub kind: String,
    /// The readable error, as the text output prints it.
    pub message: String,
    /// The imports the kernel does not implement, `dll!name` (empty unless `missing_imports`).
    pub missing: Vec<String>,
}

impl LoadErrorInfo {
    pub fn of(err: &SandboxError) -> LoadErrorInfo {
        LoadErrorInfo { kind: err.kind().into(), message: err.to_string(), missing: err.missing_imports().to_vec() }
    }
}

impl Report {
    /// The report of `path` refused at load with `err`, under the budgets it would have run
    /// with. The file is read again for what it tells (hash, architecture, imports).
    pub fn load_failed(path: &Path, limits: &Limits, err: &SandboxError) -> Report {
        let bytes = match err {
            SandboxError::Read { .. } => None,
            _ => crate::host_file::read_capped(path, crate::host_file::MAX_IMAGE_BYTES).ok(),
        };
        let info = LoadErrorInfo::of(err);
        let described = bytes.as_deref().and_then(|b| portcullis_hle::loader::describe(b).ok());
        let missing: HashSet<&str> = info.missing.iter().map(String::as_str).collect();
        let implemented = described
            .iter()
            .flat_map(|(_, imports)| imports)
            .map(|(dll, name)| format!("{dll}!{name}"))
            .filter(|i| !missing.contains(i.as_str()))
            .collect();
        Report {
            schema: SCHEMA,
            driver: DriverInfo {
                path: path.display().to_string(),
                sha256: bytes.as_deref().map(|b| Sha256::digest(b).iter().map(|x| format!("{x:02x}")).collect()),
                arch: described.as_ref().map(|(image, _)| image.arch.name()),
                image_base: None,
                preferred_base: described.as_ref().map(|(image, _)| hex(image.preferred_base)),
                size: described.as_ref().map(|(image, _)| image.size),
                entry: None,
            },
            imports: Imports { implemented, missing: info.missing.clone() },
            entry_points: Vec::new(),
            port_io: Vec::new(),
            mmio: Vec::new(),
            physical_mappings: Vec::new(),
            pci_config_writes: Vec::new(),
            physical_map: Vec::new(),
            privileged: Vec::new(),
            api_calls: Vec::new(),
            api_call_counts: BTreeMap::new(),
            stubbed_calls: Vec::new(),
            debug_output: Vec::new(),
            faults: Vec::new(),
            exceptions: Vec::new(),
            bugchecks: Vec::new(),
            limits: LimitsInfo {
                max_instructions: limits.max_instructions,
                timeout_ms: limits.time.map(|t| t.as_millis() as u64),
                memory_bytes: limits.memory_bytes,
                hit: Vec::new(),
                memory: MemoryUsage { used: 0, peak: 0, limit: limits.memory_bytes },
            },
            leaks: None,
            scheduler: None,
            failed_expectations: Vec::new(),
            registry_changes: Vec::new(),
            terminated_processes: Vec::new(),
            error_log: Vec::new(),
            hard_errors: Vec::new(),
            trace_events: Vec::new(),
            debugger: Vec::new(),
            filter_messages: Vec::new(),
            wfp: Vec::new(),
            ndis: Vec::new(),
            notices: Vec::new(),
            file_changes: Vec::new(),
            devices: None,
            counts: Counts { entry_points: 0, port_io: 0, mmio: 0, privileged: 0, api_calls: 0, exceptions: 0 },
            regions: Vec::new(),
            truncated: false,
            load_error: Some(info),
            outcome: crate::outcome::Outcome::LoadError,
            signal: None,
            steps: Vec::new(),
            trace_file: None,
        }
    }
}
