//! The survey as a whole: the rows, the missing imports ranked by the drivers they block,
//! the summary line; as one JSON document (`portcullis-survey/1`) or as text.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::row::SurveyRow;

/// Version of the survey document; bumped on any incompatible change.
pub const SCHEMA: &str = "portcullis-survey/1";

/// How many missing imports the text lists without `-v`.
const TEXT_BLOCKERS: usize = 20;

/// A missing import and the drivers it keeps out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Blocker {
    /// `dll!name`.
    pub import: String,
    /// Drivers that import it.
    pub drivers: usize,
    /// Drivers for which it is the only missing import: implementing it alone lets them load.
    pub alone: usize,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub drivers: usize,
    pub loaded: usize,
    pub driver_entry_ok: usize,
    /// Runs that ended in a fault, bugcheck, limit, halt or error, or whose worker crashed or
    /// was killed.
    pub failed: usize,
}

/// The limits and policy every driver ran under.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Settings {
    /// "error" (refuse the driver) or "stub".
    pub missing_imports: &'static str,
    pub max_instructions: Option<u64>,
    pub timeout_ms: Option<u64>,
}

/// The survey document.
#[derive(Clone, Debug, Serialize)]
pub struct Survey {
    pub schema: &'static str,
    pub settings: Settings,
    pub drivers: Vec<SurveyRow>,
    /// Most drivers blocked first, then most blocked alone, then by name.
    pub missing_imports: Vec<Blocker>,
    pub summary: Totals,
}

impl Survey {
    pub fn new(settings: Settings, drivers: Vec<SurveyRow>) -> Survey {
        let missing_imports = rank(&drivers);
        let summary = Totals {
            drivers: drivers.len(),
            loaded: drivers.iter().filter(|r| r.loaded).count(),
            driver_entry_ok: drivers.iter().filter(|r| r.entry_ok()).count(),
            failed: drivers.iter().filter(|r| r.failed()).count(),
        };
        Survey { schema: SCHEMA, settings, drivers, missing_imports, summary }
    }

    /// The missing imports ranked, the summary line: what follows the rows in the text.
    pub fn render_tail(&self, verbose: bool) -> String {
        let mut s = String::new();
        if !self.missing_imports.is_empty() {
            let what = match self.settings.missing_imports {
                "stub" => "missing imports (bound to stubs), by drivers importing them",
                _ => "missing imports, by drivers they block",
            };
            let _ = writeln!(s, "\n{what} (alone: the only one missing)");
            let _ = writeln!(s, "  {:>7}  {:>5}  import", "drivers", "alone");
            let shown = if verbose { self.missing_imports.len() } else { TEXT_BLOCKERS };
            for b in self.missing_imports.iter().take(shown) {
                let _ = writeln!(s, "  {:>7}  {:>5}  {}", b.drivers, b.alone, b.import);
            }
            if self.missing_imports.len() > shown {
                let _ = writeln!(s, "  ... {} more (-v lists all)", self.missing_imports.len() - shown);
            }
        }
        let t = &self.summary;
        let _ = writeln!(
            s,
            "\n{} driver{}: {} loaded, {} DriverEntry ok, {} failed",
            t.drivers,
            if t.drivers == 1 { "" } else { "s" },
            t.loaded,
            t.driver_entry_ok,
            t.failed
        );
        s
    }
}

/// Every missing import with the drivers it blocks, most first.
pub fn rank(rows: &[SurveyRow]) -> Vec<Blocker> {
    let mut by_import: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for r in rows {
        for m in &r.missing {
            let e = by_import.entry(m.as_str()).or_default();
            e.0 += 1;
            if r.missing.len() == 1 {
                e.1 += 1;
            }
        }
    }
    let mut ranked: Vec<Blocker> = by_import
        .into_iter()
        .map(|(import, (drivers, alone))| Blocker { import: import.to_string(), drivers, alone })
        .collect();
    // Stable: equal counts stay in name order.
    ranked.sort_by(|a, b| b.drivers.cmp(&a.drivers).then(b.alone.cmp(&a.alone)));
    ranked
}

/// The columns of the text rows.
pub struct Columns {
    file: usize,
}

impl Columns {
    /// Wide enough for every file name.
    pub fn for_files<'a>(files: impl Iterator<Item = &'a str>) -> Columns {
        Columns { file: files.map(str::len).max().unwrap_or(0).max(4) }
    }

    pub fn header(&self) -> String {
        format!(
            "{:<w$}  {:<4}  {:<9}  {:<26}  {:<12}  first fault or limit\n",
            "file",
            "arch",
            "imports",
            "DriverEntry",
            "outcome",
            w = self.file
        )
    }

    /// One row, one line.
    pub fn row(&self, r: &SurveyRow) -> String {
        let imports =
            if r.arch.is_some() { format!("{}/{}", r.imports.implemented, r.imports.total) } else { "-".into() };
        let entry = match &r.driver_entry {
            Some(e) => match (&e.status_name, &e.status) {
                (Some(name), _) => name.clone(),
                (None, Some(st)) => st.clone(),
                (None, None) => format!("[{}]", e.outcome),
            },
            None => "-".into(),
        };
        let line = format!(
            "{:<w$}  {:<4}  {:<9}  {:<26}  {:<12}  {}",
            r.file,
            r.arch.as_deref().unwrap_or("-"),
            imports,
            entry,
            r.outcome,
            r.detail.as_deref().unwrap_or(""),
            w = self.file
        );
        format!("{}\n", line.trim_end())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::pool::{Failure, FailureKind};

    fn refused(file: &str, missing: &[&str]) -> SurveyRow {
        let failure = Failure { kind: FailureKind::Died, reason: String::new(), stderr: None };
        SurveyRow {
            outcome: "load_error".into(),
            missing: missing.iter().map(|m| m.to_string()).collect(),
            ..SurveyRow::of_failure(file, failure)
        }
    }

    #[test]
    fn imports_rank_by_drivers_blocked_then_blocked_alone() {
        let rows = [
            refused("a", &["k!A", "k!B"]),
            refused("b", &["k!B"]),
            refused("c", &["k!A", "k!C"]),
            refused("d", &["k!C"]),
            refused("e", &["k!C"]),
            refused("f", &["k!D"]),
        ];
        let ranked: Vec<(String, usize, usize)> =
            rank(&rows).into_iter().map(|b| (b.import, b.drivers, b.alone)).collect();
        let want = [("k!C", 3, 2), ("k!B", 2, 1), ("k!A", 2, 0), ("k!D", 1, 1)];
        assert_eq!(ranked, want.map(|(i, d, a)| (i.to_string(), d, a)));
        let s =
            Survey::new(Settings { missing_imports: "error", max_instructions: None, timeout_ms: None }, rows.to_vec());
        assert_eq!(s.summary, Totals { drivers: 6, loaded: 0, driver_entry_ok: 0, failed: 0 });
        assert!(s.render_tail(false).ends_with("\n6 drivers: 0 loaded, 0 DriverEntry ok, 0 failed\n"));
    }
}
