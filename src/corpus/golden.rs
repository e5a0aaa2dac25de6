//! Golden traces: normalisation, comparison with a readable diff, blessing, stale files.
//!
//! A golden file holds a job's trace normalised: every line parsed as JSON and written back
//! with the keys of every object sorted, no insignificant whitespace, one record per line.
//! The trace is deterministic already; normalising only protects the comparison from
//! changes in field order or formatting. Nothing is dropped.

use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::jobs::Job;

/// Diffs longer than this many lines are cut.
pub const DIFF_MAX_LINES: usize = 200;
/// Lines of context around each change.
pub const DIFF_CONTEXT: usize = 3;
/// Longer diff lines are cut to this many characters.
const DIFF_LINE_MAX_CHARS: usize = 400;

/// Writes `v` as compact JSON with the keys of every object in sorted order.
fn write_sorted(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_sorted(&map[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_sorted(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// Normalises one trace line; lines that are not JSON are kept as they are.
fn normalise_line(line: &str, drop_seq: bool) -> String {
    match serde_json::from_str::<Value>(line) {
        Ok(mut v) => {
            if drop_seq {
                if let Value::Object(map) = &mut v {
                    map.remove("seq");
                }
            }
            let mut s = String::with_capacity(line.len());
            write_sorted(&v, &mut s);
            s
        }
        Err(_) => line.trim_end_matches('\r').to_string(),
    }
}

/// The normalised form of a JSON Lines trace: sorted keys, one record per line, every line
/// ending in `\n`, blank lines dropped.
pub fn normalise(trace: &str) -> String {
    normalise_with(trace, false)
}

fn normalise_with(trace: &str, drop_seq: bool) -> String {
    let mut out = String::with_capacity(trace.len());
    for line in trace.lines().filter(|l| !l.trim().is_empty()) {
        out.push_str(&normalise_line(line, drop_seq));
        out.push('\n');
    }
    out
}

/// A unified diff from `golden` to `actual` (both normalised), at most [`DIFF_MAX_LINES`]
/// lines. `name` labels the golden side.
///
/// Every record carries a sequence number, so one added event would change every line after
/// it; the diff is therefore computed on the records without their `seq` field (and says so),
/// unless that leaves no difference.
pub fn diff(golden: &str, actual: &str, name: &str) -> String {
    let (g, a) = (normalise_with(golden, true), normalise_with(actual, true));
    let (g, a, note) =
        if g != a { (g, a, " (seq fields omitted)") } else { (golden.to_string(), actual.to_string(), "") };
    let text = similar::TextDiff::from_lines(&g, &a)
        .unified_diff()
        .context_radius(DIFF_CONTEXT)
        .header(&format!("{name}{note}"), &format!("this run{note}"))
        .to_string();
    cap_lines(&text, DIFF_MAX_LINES)
}

fn cap_lines(text: &str, max: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::new();
    for line in lines.iter().take(max) {
        if line.chars().count() > DIFF_LINE_MAX_CHARS {
            let cut: String = line.chars().take(DIFF_LINE_MAX_CHARS).collect();
            let _ = writeln!(out, "{cut}...");
        } else {
            let _ = writeln!(out, "{line}");
        }
    }
    if lines.len() > max {
        let _ = writeln!(out, "... ({} more diff lines)", lines.len() - max);
    }
    out
}

/// How a trace compares with its golden file.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Same,
    Missing,
    Differs { diff: String },
}

/// The job's golden file (`None`: there is none).
pub fn read(job: &Job) -> io::Result<Option<String>> {
    match std::fs::read(&job.golden) {
        Ok(b) => Ok(Some(String::from_utf8_lossy(&b).into_owned())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Compares the normalised trace `actual` with the job's golden file (as [`read`] gave it).
pub fn compare(job: &Job, golden: Option<&str>, actual: &str) -> Verdict {
    let Some(golden) = golden else { return Verdict::Missing };
    // Normalised again so that a hand-edited golden file compares by content.
    let golden = normalise(golden);
    if golden == actual {
        Verdict::Same
    } else {
        Verdict::Differs { diff: diff(&golden, actual, &job.golden_display()) }
    }
}

/// What `--bless` did to a golden file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Blessed {
    /// There was none.
    New,
    /// It differed and was replaced.
    Updated,
    /// It already held this run's trace.
    Unchanged,
}

/// Writes the normalised trace `actual` as the job's golden file (left untouched when it
/// already holds exactly that).
pub fn bless(job: &Job, actual: &str) -> io::Result<Blessed> {
    let previous = match std::fs::read(&job.golden) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    if previous.as_deref() == Some(actual.as_bytes()) {
        return Ok(Blessed::Unchanged);
    }
    let dir = job.golden.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    // Written aside and renamed, so a killed run never leaves half a golden file.
    let file_name = job.golden.file_name().and_then(|n| n.to_str()).unwrap_or("golden");
    let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, actual)?;
    if let Err(e) = std::fs::rename(&tmp, &job.golden) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(if previous.is_some() { Blessed::Updated } else { Blessed::New })
}

/// Golden files under `dir/*/golden/` that belong to no job of `jobs` (all the corpus's
/// jobs, not one shard's), sorted.
pub fn stale(dir: &Path, jobs: &[Job]) -> io::Result<Vec<PathBuf>> {
    let known: std::collections::HashSet<&Path> = jobs.iter().map(|j| j.golden.as_path()).collect();
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let golden_dir = entry?.path().join("golden");
        if !golden_dir.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&golden_dir)? {
            let p = f?.path();
            let is_golden = p.extension().is_some_and(|e| e == "jsonl")
                && !p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'));
            if is_golden && p.is_file() && !known.contains(p.as_path()) {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Removes a stale golden file, and its `golden/` directory when that becomes empty.
pub fn remove_stale(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        // Another shard blessing at the same time got there first.
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    if let Some(dir) = path.parent() {
        let _ = std::fs::remove_dir(dir); // fails, as it should, unless empty
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_sorts_keys_at_every_depth_and_keeps_everything() {
        let trace = "{\"type\":\"call\",\"seq\":2,\"args\":{\"b\":1,\"a\":\"x\\n\"},\"ret\":null}\n\n\
                     {\"seq\":3, \"type\":\"port\", \"value\":18446744073709551615, \"list\":[{\"z\":1,\"y\":2}]}\r\n";
        assert_eq!(
            normalise(trace),
            "{\"args\":{\"a\":\"x\\n\",\"b\":1},\"ret\":null,\"seq\":2,\"type\":\"call\"}\n\
             {\"list\":[{\"y\":2,\"z\":1}],\"seq\":3,\"type\":\"port\",\"value\":18446744073709551615}\n"
        );
    }

    #[test]
    fn normalisation_is_idempotent_and_keeps_non_json_lines() {
        let once = normalise("{\"b\":[1,2],\"a\":{\"d\":true,\"c\":\"\\u00e9\"}}\nnot json at all\n");
        assert_eq!(normalise(&once), once);
        assert!(once.ends_with("not json at all\n"));
        assert_eq!(normalise(""), "");
    }

    #[test]
    fn diff_ignores_shifted_sequence_numbers_and_is_capped() {
        let golden = normalise("{\"seq\":1,\"n\":\"a\"}\n{\"seq\":2,\"n\":\"b\"}\n{\"seq\":3,\"n\":\"c\"}\n");
        let actual = normalise(
            "{\"seq\":1,\"n\":\"a\"}\n{\"seq\":2,\"n\":\"new\"}\n{\"seq\":3,\"n\":\"b\"}\n{\"seq\":4,\"n\":\"c\"}\n",
        );
        let d = diff(&golden, &actual, "x/golden/default.x64.jsonl");
        assert!(d.starts_with("--- x/golden/default.x64.jsonl (seq fields omitted)\n"), "{d}");
        assert!(d.contains("\n+{\"n\":\"new\"}\n"), "{d}");
        assert_eq!(d.lines().filter(|l| l.starts_with('+') || l.starts_with('-')).count(), 3, "{d}");

        // Only the sequence numbers differ: the full records are shown.
        let d = diff(&normalise("{\"seq\":1}\n"), &normalise("{\"seq\":2}\n"), "g");
        assert!(d.contains("-{\"seq\":1}") && d.contains("+{\"seq\":2}"), "{d}");

        let many_g: String = (0..1000).map(|i| format!("{{\"i\":{i}}}\n")).collect();
        let many_a: String = (0..1000).map(|i| format!("{{\"i\":{i},\"x\":1}}\n")).collect();
        let d = diff(&many_g, &many_a, "g");
        assert_eq!(d.lines().count(), DIFF_MAX_LINES + 1);
        assert!(d.lines().last().unwrap().starts_with("... ("));
    }
}
