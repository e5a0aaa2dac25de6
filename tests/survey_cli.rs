//! `portcullis survey`: rows, ranking and summary over the bundled corpus, and a survey that
//! outlives a hanging driver, a crashing worker and a stuck one.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn root() -> &'static str {
    env!("CARGO_MANIFEST_DIR")
}

fn survey(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_portcullis"));
    c.arg("survey").args(args);
    c.env_remove("PORTCULLIS_TEST_WORKER_ABORT").env_remove("PORTCULLIS_TEST_WORKER_HANG");
    c.envs(env.iter().copied());
    c.output().expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn show(o: &Output) -> String {
    format!("stdout:\n{}\nstderr:\n{}", stdout(o), String::from_utf8_lossy(&o.stderr))
}

/// The row of `file` in the text output, split into its columns (padded with runs of
/// spaces; no column holds two spaces in a row).
fn row<'a>(out: &'a str, file: &str) -> Vec<&'a str> {
    let line = out.lines().find(|l| l.starts_with(&format!("{file} "))).unwrap_or_else(|| panic!("no row {file}"));
    line.split("  ").map(str::trim).filter(|c| !c.is_empty()).collect()
}

/// The driver files (`*.sys`) under `dir`, recursively.
fn corpus_files(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            if p.is_dir() {
                corpus_files(&p)
            } else {
                usize::from(p.extension().is_some_and(|e| e.eq_ignore_ascii_case("sys")))
            }
        })
        .sum()
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("portcullis-survey-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    /// Copies corpus driver `name.arch.sys` to `rel` under the directory; its path.
    fn copy(&self, name: &str, arch: &str, rel: &str) -> String {
        let to = self.0.join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(Path::new(root()).join(format!("corpus/{name}/{name}.{arch}.sys")), &to).unwrap();
        to.display().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn the_bundled_corpus_gives_one_row_per_driver_a_ranking_and_a_summary() {
    let dir = format!("{}/corpus", root());
    let o = survey(&[&dir], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let out = stdout(&o);
    let f = |name: &str, arch: &str| format!("{dir}/{name}/{name}.{arch}.sys");
    for arch in ["x86", "x64"] {
        for name in [
            "beeper",
            "halports",
            "handles",
            "kapi",
            "leaky",
            "methods",
            "nullderef",
            "rawio",
            "threadwait",
            "ticker",
            "percpu",
            "workitem",
            "resource",
            "deadlock",
            "irqlbug",
            "procwatch",
            "pingpong",
            "cmreg",
            "cmcallbacks",
            "obnames",
            "obcallbacks",
            "modwalk",
            "filelog",
            "iostack",
            "secetw",
            "pnpdev",
        ] {
            let r = row(&out, &f(name, arch));
            assert_eq!((r[1], r[3], r[4]), (arch, "STATUS_SUCCESS", "ok"), "{name}/{arch}: {r:?}");
            let (n, total) = r[2].split_once('/').unwrap();
            assert_eq!(n, total, "{name}/{arch}: every import implemented");
        }
        let r = row(&out, &f("missing", arch));
        assert_eq!(
            r[2..].to_vec(),
            ["2/3", "-", "load_error", "1 missing import: ntoskrnl.exe!PortcullisNoSuchRoutine"]
        );
        let r = row(&out, &f("stubbed", arch));
        assert_eq!(r[2..4].to_vec(), ["8/17", "-"]);
        assert!(r[5].starts_with("9 missing imports: ntoskrnl.exe!CcGetFileObjectFromSectionPtrs"), "{r:?}");
        let r = row(&out, &f("spin", arch));
        assert_eq!(r[2..5].to_vec(), ["1/1", "[limit]", "limit"]);
        // The limit names the block where the budget ran out.
        assert!(r[5].starts_with("instruction budget of 10000000 exhausted at 0x"), "{r:?}");
    }
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("file ") && lines[0].ends_with("first fault or limit"), "{}", lines[0]);
    // One row per driver file of the corpus, whatever drivers it holds.
    let files = corpus_files(Path::new(&dir));
    assert_eq!(lines.iter().filter(|l| l.starts_with(&dir)).count(), files);
    let ranking = lines.iter().position(|l| l.starts_with("missing imports, by drivers they block")).expect("ranking");
    assert_eq!(
        lines[ranking + 2].split_whitespace().collect::<Vec<_>>(),
        ["2", "2", "ntoskrnl.exe!PortcullisNoSuchRoutine"],
        "the one import that alone blocks drivers ranks first"
    );

    // JSON: the same as one document, with a summary that adds up.
    let o = survey(&[&dir, "--format", "json", "--jobs", "1"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let s: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(s["schema"], "portcullis-survey/1");
    assert_eq!(s["settings"]["max_instructions"], 10_000_000);
    let rows = s["drivers"].as_array().unwrap();
    assert_eq!(rows.len(), files);
    let loaded = rows.iter().filter(|r| r["load_error"].is_null()).count();
    let entry_ok = rows.iter().filter(|r| r["driver_entry"]["status_name"] == "STATUS_SUCCESS").count();
    let bad = ["fault", "bugcheck", "limit", "halted", "error", "crashed", "killed"];
    let failed = rows.iter().filter(|r| bad.iter().any(|b| r["outcome"] == *b)).count();
    assert_eq!(
        s["summary"],
        serde_json::json!({"drivers": files, "loaded": loaded, "driver_entry_ok": entry_ok, "failed": failed})
    );
    assert_eq!(
        lines.last().copied(),
        Some(format!("{files} drivers: {loaded} loaded, {entry_ok} DriverEntry ok, {failed} failed").as_str())
    );
    let rows = s["drivers"].as_array().unwrap();
    let beeper = rows.iter().find(|r| r["file"] == f("beeper", "x64")).unwrap();
    assert_eq!(beeper["driver_entry"]["status_name"], "STATUS_SUCCESS");
    assert_eq!(beeper["sha256"].as_str().unwrap().len(), 64);
    let missing = rows.iter().find(|r| r["file"] == f("missing", "x86")).unwrap();
    assert_eq!(missing["load_error"]["kind"], "missing_imports");
    assert_eq!(missing["imports"], serde_json::json!({"implemented": 2, "total": 3}));
    let ranked = s["missing_imports"].as_array().unwrap();
    assert_eq!(
        ranked[0],
        serde_json::json!({"import": "ntoskrnl.exe!PortcullisNoSuchRoutine", "drivers": 2, "alone": 2})
    );
    let verify = ranked.iter().find(|r| r["import"] == "ntoskrnl.exe!IoGetDeviceToVerify").unwrap();
    assert_eq!((verify["drivers"].as_u64(), verify["alone"].as_u64()), (Some(2), Some(0)));
    assert!(ranked[1..].iter().all(|r| r["drivers"] == 2 && r["alone"] == 0));
}

#[test]
fn hanging_and_crashing_drivers_are_rows_not_the_end_of_the_survey() {
    let tmp = TempDir::new("hang");
    let ok = tmp.copy("beeper", "x64", "a/beeper.sys");
    let spin = tmp.copy("spin", "x86", "b/spin.SYS");
    let crash = tmp.copy("halports", "x64", "c/crash.sys");
    let stuck = tmp.copy("methods", "x86", "d/stuck.sys");
    let refused = tmp.copy("missing", "x64", "e/missing.sys");
    tmp.copy("beeper", "x86", "e/not-a-driver.dll");
    // No instruction budget: only the short timeout ends the spinning driver; a worker
    // still busy at twice the timeout plus a second is killed.
    let dir = tmp.0.display().to_string();
    let o = survey(
        &[&dir, "--max-insns", "none", "--timeout", "300ms", "--jobs", "2"],
        &[("PORTCULLIS_TEST_WORKER_ABORT", &crash), ("PORTCULLIS_TEST_WORKER_HANG", &stuck)],
    );
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let out = stdout(&o);
    assert_eq!(row(&out, &ok)[3..5].to_vec(), ["STATUS_SUCCESS", "ok"]);
    assert_eq!(row(&out, &spin)[3..].to_vec(), ["[limit]", "limit", "time budget of 300 ms exhausted"]);
    assert_eq!(row(&out, &crash)[1..].to_vec(), ["-", "-", "-", "crashed", "worker died: signal 6 (SIGABRT)"]);
    assert_eq!(row(&out, &stuck)[4..].to_vec(), ["killed", "timed out after 1s 600ms (--timeout); worker killed"]);
    assert_eq!(row(&out, &refused)[4], "load_error");
    assert!(!out.contains("not-a-driver"), "only *.sys files in folders");
    assert!(out.ends_with("5 drivers: 2 loaded, 1 DriverEntry ok, 3 failed\n"), "{out}");

    // JSON carries the worker's last words.
    let o = survey(&[&crash, "--format", "json"], &[("PORTCULLIS_TEST_WORKER_ABORT", &crash)]);
    let s: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(s["drivers"][0]["stderr"].as_str().unwrap().contains("PORTCULLIS_TEST_WORKER_ABORT names"), "{s}");
}

#[test]
fn stubbed_imports_let_drivers_load_and_are_ranked() {
    let dir = format!("{}/corpus/missing", root());
    let o = survey(&[&dir, "--missing-imports", "stub"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let out = stdout(&o);
    let r = row(&out, &format!("{dir}/missing.x64.sys"));
    assert_eq!(r[2..5].to_vec(), ["2/3", "STATUS_NOT_IMPLEMENTED", "entry_failed"]);
    assert!(out.contains("missing imports (bound to stubs), by drivers importing them"), "{out}");
    assert!(out.ends_with("2 drivers: 2 loaded, 0 DriverEntry ok, 0 failed\n"), "{out}");
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(survey(&[], &[]).status.code(), Some(2));
    let o = survey(&["/nonexistent/drivers"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent/drivers"));
    let tmp = TempDir::new("empty");
    let o = survey(&[tmp.0.to_str().unwrap()], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no drivers (*.sys) found"));
    assert_eq!(survey(&[tmp.0.to_str().unwrap(), "--timeout", "soon"], &[]).status.code(), Some(2));
}
