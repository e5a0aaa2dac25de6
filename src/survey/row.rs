//! One driver of a survey: the request a worker gets and the row it answers.

use crate::outcome::Outcome;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::corpus::pool::{Failure, FailureKind, Task};
use crate::corpus::worker::{Answer, Request};
use crate::limits::Budget;
use crate::load_error::LoadErrorInfo;
use crate::report::Report;
use crate::sandbox::RunError;

/// How many missing imports a row's text names before "...".
const MISSING_NAMED: usize = 3;

/// One driver to examine.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SurveyRequest {
    /// The driver as the survey shows it (and names the task).
    pub file: String,
    pub path: PathBuf,
    /// Bind missing imports to stubs instead of refusing the driver.
    pub stub_missing_imports: bool,
    pub max_insns: Budget<u64>,
    pub timeout: Budget<Duration>,
}

/// How DriverEntry ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryStatus {
    /// The NTSTATUS it returned, "0x%08X"; absent if it did not return.
    pub status: Option<String>,
    pub status_name: Option<String>,
    /// "returned", "fault", "bugcheck", "limit", "halted", "error".
    pub outcome: String,
    /// It returned a success status (NT_SUCCESS).
    pub ok: bool,
}

/// The imports a driver has, and how many the kernel implements.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportCounts {
    pub implemented: usize,
    pub total: usize,
}

/// What became of one driver.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyRow {
    pub file: String,
    pub sha256: Option<String>,
    /// "x86" or "x64"; absent when the image could not be read.
    pub arch: Option<String>,
    pub imports: ImportCounts,
    /// The imports the kernel does not implement, `dll!name` (bound to stubs with
    /// `--missing-imports stub`; otherwise they refused the driver).
    pub missing: Vec<String>,
    /// The driver was mapped and bound (it may still have failed later).
    pub loaded: bool,
    /// Absent when DriverEntry never ran.
    pub driver_entry: Option<EntryStatus>,
    /// "ok", "entry_failed" (DriverEntry returned an error status), "fault", "bugcheck",
    /// "limit", "halted", "error", "load_error", "crashed" (the worker died), "killed" (the
    /// worker overran its deadline).
    pub outcome: String,
    /// The first fault, bugcheck or limit; why the load was refused; why the worker failed.
    pub detail: Option<String>,
    /// Why the load was refused.
    pub load_error: Option<LoadErrorInfo>,
    /// Guest instructions executed (counted only under an instruction budget).
    pub instructions: Option<u64>,
    /// The end of a failed worker's stderr.
    pub stderr: Option<String>,
}

impl SurveyRow {
    fn empty(file: &str, outcome: &str) -> SurveyRow {
        SurveyRow {
            file: file.into(),
            sha256: None,
            arch: None,
            imports: ImportCounts::default(),
            missing: Vec::new(),
            loaded: false,
            driver_entry: None,
            outcome: outcome.into(),
            detail: None,
            load_error: None,
            instructions: None,
            stderr: None,
        }
    }

    /// The row of a run's report (a refused load's report included); `stopped` is what
    /// ended the run early.
    pub fn of_report(file: &str, report: &Report, stopped: Option<&RunError>, instructions: Option<u64>) -> SurveyRow {
        let imports = &report.imports;
        let entry = report.entry_points.iter().find(|e| e.kind == "DriverEntry").map(|e| EntryStatus {
            status: e.status.clone(),
            status_name: e.status_name.clone(),
            outcome: e.outcome.clone(),
            ok: e.status.as_deref().and_then(parse_status).is_some_and(|s| s & 0x8000_0000 == 0),
        });
        let outcome = match report.outcome {
            // The default scenario's one expectation: DriverEntry succeeds.
            Outcome::FailedExpectation => "entry_failed",
            other => other.name(),
        };
        let detail = match report.outcome {
            Outcome::LoadError => report.load_error.as_ref().map(load_error_text),
            Outcome::Fault => report.faults.first().map(|f| {
                let at = f.location.as_deref().unwrap_or(&f.pc);
                let mut text = format!("{} at {at}", f.mnemonic);
                if let portcullis_emu::FaultKind::PageFault { address } = f.kind {
                    text += &format!(" (address {address:#x})");
                }
                if !f.reason.is_empty() {
                    text += &format!(": {}", f.reason);
                }
                text
            }),
            Outcome::Bugcheck => {
                report.bugchecks.first().map(|b| format!("bugcheck {} {}", b.code, b.name).trim().to_string())
            }
            Outcome::Limit => report.limits.hit.first().map(|l| l.to_string()),
            Outcome::Halted
            | Outcome::Error
            | Outcome::Interrupted
            | Outcome::Reset
            | Outcome::Deadlock
            | Outcome::Unimplemented => stopped.map(|e| e.to_string()),
            _ => None,
        };
        SurveyRow {
            sha256: report.driver.sha256.clone(),
            arch: report.driver.arch.map(str::to_string),
            imports: ImportCounts {
                implemented: imports.implemented.len(),
                total: imports.implemented.len() + imports.missing.len(),
            },
            missing: imports.missing.clone(),
            loaded: report.load_error.is_none(),
            driver_entry: entry,
            detail,
            load_error: report.load_error.clone(),
            instructions,
            ..SurveyRow::empty(file, outcome)
        }
    }

    /// The row of a driver whose worker gave no answer.
    pub fn of_failure(file: &str, failure: Failure) -> SurveyRow {
        let outcome = match failure.kind {
            FailureKind::Died => "crashed",
            FailureKind::Killed => "killed",
            FailureKind::Spawn | FailureKind::Protocol => "error",
        };
        SurveyRow { detail: Some(failure.reason), stderr: failure.stderr, ..SurveyRow::empty(file, outcome) }
    }

    /// The row of a driver the worker could not even try.
    pub fn of_error(file: &str, reason: String) -> SurveyRow {
        SurveyRow { detail: Some(reason), ..SurveyRow::empty(file, "error") }
    }

    /// DriverEntry returned a success status.
    pub fn entry_ok(&self) -> bool {
        self.driver_entry.as_ref().is_some_and(|e| e.ok)
    }

    /// The run ended badly: a fault, bugcheck, limit, halt or error, or its worker crashed or
    /// was killed (a refused load or a DriverEntry that returned an error status is not).
    pub fn failed(&self) -> bool {
        !matches!(self.outcome.as_str(), "ok" | "entry_failed" | "load_error")
    }
}

impl Task for SurveyRequest {
    type Output = SurveyRow;

    fn name(&self) -> &str {
        &self.file
    }

    fn request(&self) -> Request {
        Request::Survey(self.clone())
    }

    fn output(&self, answer: Answer) -> Option<SurveyRow> {
        match answer {
            Answer::Survey(r) => Some(r),
            Answer::Corpus(_) => None,
        }
    }

    fn failed(&self, failure: Failure) -> SurveyRow {
        SurveyRow::of_failure(&self.file, failure)
    }
}

/// "0xC0000001" -> 0xC0000001.
fn parse_status(s: &str) -> Option<u32> {
    u32::from_str_radix(s.trim_start_matches("0x").trim_start_matches("0X"), 16).ok()
}

/// One line: "3 missing imports: a, b, c, ..." or the loader's message.
fn load_error_text(e: &LoadErrorInfo) -> String {
    if e.missing.is_empty() {
        return e.message.clone();
    }
    let n = e.missing.len();
    let named = e.missing.iter().take(MISSING_NAMED).cloned().collect::<Vec<_>>().join(", ");
    let more = if n > MISSING_NAMED { ", ..." } else { "" };
    format!("{n} missing import{}: {named}{more}", if n == 1 { "" } else { "s" })
}
