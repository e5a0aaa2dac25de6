//! Job results: what one job gave, the lines and summary printed for a set of them, the
//! results file (JSON Lines) and merging the results files of sharded runs.
//!
//! Nothing here holds a time or duration, so the same jobs give the same files whichever
//! machine, shard or order ran them.

use crate::outcome::Outcome;
use std::collections::HashMap;
use std::fmt;
use std::fmt::Write as _;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::golden::Blessed;
use super::jobs::Job;

/// One job's result: a line of a results file, and what a worker answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobResult {
    /// `<driver>/<scenario>/<arch>`.
    pub name: String,
    pub driver: String,
    pub scenario: String,
    pub arch: String,
    pub passed: bool,
    /// Why it failed (one line), `None` when it passed.
    pub reason: Option<String>,
    /// The unified diff from the golden trace to this run's, when they differ.
    pub diff: Option<String>,
    /// The report's outcome ("ok", "fault", "limit", ...; "load_error" when the driver could
    /// not be loaded); `None` when the job did not finish.
    pub outcome: Option<Outcome>,
    /// The outcome the scenario expects, when one is checked.
    #[serde(default)]
    pub expected_outcome: Option<Outcome>,
    /// The end of the worker's diagnostics, when the worker died or was killed.
    #[serde(default)]
    pub stderr: Option<String>,
    /// What `--bless` did to the golden file.
    #[serde(default)]
    pub blessed: Option<Blessed>,
    /// With `--bless`: the normalised trace, from the worker to the runner that writes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_to_bless: Option<String>,
}

impl JobResult {
    /// A result for `job` that has not passed (yet).
    pub fn new(job: &Job) -> JobResult {
        JobResult {
            name: job.name.clone(),
            driver: job.driver.clone(),
            scenario: job.scenario.clone(),
            arch: job.arch.clone(),
            passed: false,
            reason: None,
            diff: None,
            outcome: None,
            expected_outcome: None,
            stderr: None,
            blessed: None,
            trace_to_bless: None,
        }
    }

    /// A failure for `job` that never produced a result of its own.
    pub fn failed(job: &Job, reason: impl Into<String>, stderr: Option<String>) -> JobResult {
        JobResult { reason: Some(reason.into()), stderr, ..JobResult::new(job) }
    }

    /// `<scenario>/<arch>`: the JUnit test case name.
    pub fn case_name(&self) -> String {
        format!("{}/{}", self.scenario, self.arch)
    }

    /// The lines printed for this result: a failure with its reason, diff and worker
    /// diagnostics; a blessed golden file; with `verbose`, every job.
    pub fn render(&self, verbose: bool, quiet: bool) -> String {
        let mut s = String::new();
        if !self.passed {
            let reason = self.reason.as_deref().unwrap_or("failed");
            let _ = writeln!(s, "FAIL {}: {reason}", self.name);
            for block in [&self.diff, &self.stderr].into_iter().flatten() {
                for line in block.lines() {
                    let _ = writeln!(s, "    {line}");
                }
            }
        } else if let Some(what) = self.blessed.and_then(|b| match b {
            Blessed::New => Some("new golden file"),
            Blessed::Updated => Some("golden file updated"),
            Blessed::Unchanged => None,
        }) {
            if !quiet {
                let _ = writeln!(s, "blessed {}: {what}", self.name);
            }
        } else if verbose {
            let outcome = self.outcome.map_or("-", Outcome::name);
            let _ = writeln!(s, "ok {} ({outcome})", self.name);
        }
        s
    }
}

/// The counts of the final line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub passed: usize,
    pub failed: usize,
    pub blessed: usize,
    /// Whether this was a blessing run (then the blessed count is shown, even when 0).
    pub blessing: bool,
}

impl Summary {
    pub fn of(results: &[JobResult], blessing: bool) -> Summary {
        Summary {
            passed: results.iter().filter(|r| r.passed).count(),
            failed: results.iter().filter(|r| !r.passed).count(),
            blessed: results.iter().filter(|r| r.blessed.is_some()).count(),
            blessing: blessing || results.iter().any(|r| r.blessed.is_some()),
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} passed, {} failed", self.passed, self.failed)?;
        if self.blessing {
            write!(f, ", {} blessed", self.blessed)?;
        }
        Ok(())
    }
}

/// Writes `results` to `path`, one JSON document per line.
pub fn write_results(path: &Path, results: &[JobResult]) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
    for r in results {
        serde_json::to_writer(&mut w, r)?;
        w.write_all(b"\n")?;
    }
    w.flush()
}

#[derive(Debug, Error)]
pub enum MergeError {
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{}:{line}: not a job result: {message}", path.display())]
    Parse { path: PathBuf, line: usize, message: String },
    #[error("job {name} appears twice: in {} and in {}", first.display(), second.display())]
    Duplicate { name: String, first: PathBuf, second: PathBuf },
}

/// Reads one results file.
pub fn read_results(path: &Path) -> Result<Vec<JobResult>, MergeError> {
    let read_err = |source| MergeError::Read { path: path.to_path_buf(), source };
    let f = std::fs::File::open(path).map_err(read_err)?;
    let mut out = Vec::new();
    for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line.map_err(read_err)?;
        if line.trim().is_empty() {
            continue;
        }
        let r = serde_json::from_str::<JobResult>(&line).map_err(|e| MergeError::Parse {
            path: path.to_path_buf(),
            line: i + 1,
            message: e.to_string(),
        })?;
        out.push(r);
    }
    Ok(out)
}

/// Reads every results file; a job in two of them (or twice in one) is an error. The
/// results come back sorted by job name, as one unsharded run gives them.
pub fn merge(files: &[PathBuf]) -> Result<Vec<JobResult>, MergeError> {
    let mut seen: HashMap<String, PathBuf> = HashMap::new();
    let mut all = Vec::new();
    for path in files {
        for r in read_results(path)? {
            if let Some(first) = seen.insert(r.name.clone(), path.clone()) {
                return Err(MergeError::Duplicate { name: r.name, first, second: path.clone() });
            }
            all.push(r);
        }
    }
    all.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(name: &str, passed: bool) -> JobResult {
        let mut parts = name.split('/');
        JobResult {
            name: name.into(),
            driver: parts.next().unwrap().into(),
            scenario: parts.next().unwrap().into(),
            arch: parts.next().unwrap().into(),
            passed,
            reason: (!passed).then(|| "golden trace differs".into()),
            diff: (!passed).then(|| "--- a\n+++ b\n@@ -1 +1 @@\n-x\n+y\n".into()),
            outcome: Some(Outcome::Ok),
            expected_outcome: None,
            stderr: None,
            blessed: None,
            trace_to_bless: None,
        }
    }

    #[test]
    fn summary_line() {
        let rs = [result("a/default/x64", true), result("a/default/x86", false)];
        assert_eq!(Summary::of(&rs, false).to_string(), "1 passed, 1 failed");
        assert_eq!(Summary::of(&rs, true).to_string(), "1 passed, 1 failed, 0 blessed");
        let mut b = result("b/default/x64", true);
        b.blessed = Some(Blessed::New);
        assert_eq!(Summary::of(&[b], false).to_string(), "1 passed, 0 failed, 1 blessed");
    }

    #[test]
    fn failure_lines_carry_reason_and_indented_diff() {
        let r = result("a/default/x86", false);
        assert_eq!(
            r.render(false, false),
            "FAIL a/default/x86: golden trace differs\n    --- a\n    +++ b\n    @@ -1 +1 @@\n    -x\n    +y\n"
        );
        assert_eq!(result("a/default/x64", true).render(false, false), "");
        assert_eq!(result("a/default/x64", true).render(true, false), "ok a/default/x64 (ok)\n");
    }

    #[test]
    fn merge_sorts_and_rejects_duplicates() {
        let dir = std::env::temp_dir().join(format!("portcullis-merge-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (f1, f2, f3) = (dir.join("1.jsonl"), dir.join("2.jsonl"), dir.join("3.jsonl"));
        write_results(&f1, &[result("b/default/x64", true)]).unwrap();
        write_results(&f2, &[result("a/default/x64", false), result("c/default/x86", true)]).unwrap();
        write_results(&f3, &[result("a/default/x64", true)]).unwrap();
        let merged = merge(&[f1.clone(), f2.clone()]).unwrap();
        let names: Vec<&str> = merged.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["a/default/x64", "b/default/x64", "c/default/x86"]);
        assert_eq!(merged[0], result("a/default/x64", false));
        let e = merge(&[f1, f2, f3]).unwrap_err();
        assert!(matches!(e, MergeError::Duplicate { ref name, .. } if name == "a/default/x64"), "{e}");
        std::fs::write(dir.join("bad.jsonl"), "{\"name\":1}\n").unwrap();
        let e = merge(&[dir.join("bad.jsonl")]).unwrap_err();
        assert!(e.to_string().contains("bad.jsonl:1: not a job result"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
