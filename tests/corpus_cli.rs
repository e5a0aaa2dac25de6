//! `portcullis corpus`: blessing, golden comparison, sharding and merging, worker isolation
//! and job timeouts, through the real binary on temporary copies of corpus drivers.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

const BIN: &str = env!("CARGO_BIN_EXE_portcullis");

/// Variables through which a batch scheduler would pick a shard; the tests choose their own.
const SHARD_VARS: [&str; 6] = [
    "JOB_COMPLETION_INDEX",
    "JOB_COMPLETIONS",
    "SLURM_ARRAY_TASK_ID",
    "SLURM_ARRAY_TASK_COUNT",
    "SLURM_ARRAY_TASK_MIN",
    "SLURM_ARRAY_TASK_STEP",
];

/// A temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let dir = std::env::temp_dir().join(format!(
            "portcullis-corpus-{tag}-{}-{}-{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A corpus holding copies of `drivers` from the repository's corpus: their images and, when
/// `scenarios`, their scenario files (never their golden files).
fn corpus(tag: &str, drivers: &[&str], scenarios: bool) -> TempDir {
    let tmp = TempDir::new(tag);
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for d in drivers {
        let to = tmp.path().join("corpus").join(d);
        std::fs::create_dir_all(&to).unwrap();
        for e in std::fs::read_dir(src.join(d)).unwrap() {
            let p = e.unwrap().path();
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
            if p.is_file() && (ext == "sys" || ext == "exe" || (scenarios && ext == "toml")) {
                std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
            }
        }
    }
    tmp
}

fn portcullis(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(BIN);
    c.args(args);
    for v in SHARD_VARS {
        c.env_remove(v);
    }
    c.env_remove("PORTCULLIS_TEST_WORKER_ABORT");
    c.env_remove("PORTCULLIS_TEST_WORKER_FORBIDDEN_SYSCALL");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn last_line(o: &Output) -> String {
    stdout(o).lines().last().unwrap_or_default().to_string()
}

fn show(o: &Output) -> String {
    format!("status {:?}\n--- stdout\n{}--- stderr\n{}", o.status.code(), stdout(o), String::from_utf8_lossy(&o.stderr))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn bless_then_a_clean_run_passes() {
    let tmp = corpus("bless", &["halports", "beeper"], true);
    let dir = tmp.path().join("corpus");
    let o = portcullis(&["corpus", "run", s(&dir), "--bless"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert_eq!(last_line(&o), "4 passed, 0 failed, 4 blessed", "{}", show(&o));
    assert!(stdout(&o).contains("blessed halports/halports/x64: new golden file"), "{}", show(&o));
    for g in
        ["halports/golden/halports.x64.jsonl", "halports/golden/halports.x86.jsonl", "beeper/golden/beeper.x86.jsonl"]
    {
        let text = std::fs::read_to_string(dir.join(g)).unwrap();
        assert!(text.lines().count() > 3, "{g}");
        // Normalised: every record's keys sorted.
        let first = text.lines().next().unwrap();
        let keys: Vec<String> = match serde_json::from_str::<serde_json::Value>(first).unwrap() {
            serde_json::Value::Object(m) => m.keys().cloned().collect(),
            v => panic!("{v}"),
        };
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
    }

    let o = portcullis(&["corpus", "run", s(&dir)], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert_eq!(stdout(&o), "4 passed, 0 failed\n", "{}", show(&o));

    // -v: one line per job, in job order.
    let o = portcullis(&["-v", "corpus", "run", s(&dir), "--jobs", "1"], &[]);
    let lines: Vec<String> = stdout(&o).lines().map(str::to_string).collect();
    assert_eq!(
        lines,
        [
            "ok beeper/beeper/x64 (ok)",
            "ok beeper/beeper/x86 (ok)",
            "ok halports/halports/x64 (ok)",
            "ok halports/halports/x86 (ok)",
            "4 passed, 0 failed"
        ],
        "{}",
        show(&o)
    );

    // Blessing again changes nothing; a golden file of a job that is gone is removed.
    std::fs::write(dir.join("halports/golden/gone.x64.jsonl"), "{}\n").unwrap();
    let o = portcullis(&["corpus", "run", s(&dir), "--bless"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert!(stdout(&o).contains("removed stale golden file"), "{}", show(&o));
    assert!(!stdout(&o).contains("new golden file"), "{}", show(&o));
    assert!(!dir.join("halports/golden/gone.x64.jsonl").exists());
}

#[test]
fn a_changed_golden_file_fails_with_a_diff() {
    let tmp = corpus("diff", &["halports", "beeper"], true);
    let dir = tmp.path().join("corpus");
    let o = portcullis(&["corpus", "run", s(&dir), "--bless"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));

    let golden = dir.join("halports/golden/halports.x64.jsonl");
    let text = std::fs::read_to_string(&golden).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let original = lines[1].to_string();
    lines[1] = "{\"edited\":true,\"type\":\"call\"}";
    std::fs::write(&golden, lines.join("\n") + "\n").unwrap();

    let o = portcullis(&["corpus", "run", s(&dir)], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let out = stdout(&o);
    assert!(out.contains("FAIL halports/halports/x64: golden trace differs\n"), "{}", show(&o));
    assert!(out.contains("    --- halports/golden/halports.x64.jsonl"), "{}", show(&o));
    assert!(out.contains("    @@ "), "{}", show(&o));
    assert!(out.contains("    -{\"edited\":true,\"type\":\"call\"}\n"), "{}", show(&o));
    // The run's own record, shown without its sequence number.
    let mut want: serde_json::Value = serde_json::from_str(&original).unwrap();
    want.as_object_mut().unwrap().remove("seq");
    let want = format!("    +{}\n", serde_json::to_string(&want).unwrap());
    assert!(out.contains(&want), "{want}\n{}", show(&o));
    assert!(!out.contains("FAIL beeper"), "{}", show(&o));
    assert_eq!(last_line(&o), "3 passed, 1 failed", "{}", show(&o));

    // A missing golden file says how to make one.
    std::fs::remove_file(dir.join("beeper/golden/beeper.x86.jsonl")).unwrap();
    let o = portcullis(&["corpus", "run", s(&dir)], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    assert!(stdout(&o).contains("FAIL beeper/beeper/x86: no golden file (run with --bless)\n"), "{}", show(&o));
    assert_eq!(last_line(&o), "2 passed, 2 failed", "{}", show(&o));
}

#[test]
fn sharded_runs_merge_into_what_one_run_gives() {
    let tmp = corpus("shard", &["halports", "beeper", "methods", "leaky", "kapi"], true);
    let dir = tmp.path().join("corpus");
    let out = |name: &str| tmp.path().join(name);
    let o = portcullis(&["corpus", "run", s(&dir), "--bless"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    // One failure with a diff, so that the JUnit report has a body to carry.
    let golden = dir.join("methods/golden/methods.x86.jsonl");
    let text = std::fs::read_to_string(&golden).unwrap();
    std::fs::write(&golden, text.replacen("\"type\":", "\"changed\":1,\"type\":", 1)).unwrap();

    let whole =
        portcullis(&["corpus", "run", s(&dir), "--junit", s(&out("all.xml")), "--results", s(&out("all.jsonl"))], &[]);
    assert_eq!(whole.status.code(), Some(1), "{}", show(&whole));
    let jobs = std::fs::read_to_string(out("all.jsonl")).unwrap().lines().count();
    assert!(jobs >= 10, "{jobs}");

    let mut shard_files = Vec::new();
    let mut counted = 0;
    for i in 0..3 {
        let f = out(&format!("shard-{i}.jsonl"));
        let shard = format!("{i}/3");
        let o = portcullis(&["corpus", "run", s(&dir), "--shard", &shard, "--results", s(&f)], &[]);
        assert!(matches!(o.status.code(), Some(0 | 1)), "{}", show(&o));
        let line = last_line(&o);
        let (p, rest) = line.split_once(" passed, ").unwrap();
        let f_count: usize = rest.strip_suffix(" failed").unwrap().parse().unwrap();
        counted += p.parse::<usize>().unwrap() + f_count;
        shard_files.push(f);
    }
    assert_eq!(counted, jobs);

    let merged_xml = out("merged.xml");
    let mut args = vec!["corpus", "merge"];
    args.extend(shard_files.iter().map(|f| s(f)));
    args.extend(["--junit", s(&merged_xml)]);
    let merged = portcullis(&args, &[]);
    assert_eq!(merged.status.code(), Some(1), "{}", show(&merged));
    assert_eq!(last_line(&merged), last_line(&whole));
    assert_eq!(stdout(&merged), stdout(&whole), "the failure lines too");
    let (a, b) = (std::fs::read(out("all.xml")).unwrap(), std::fs::read(out("merged.xml")).unwrap());
    assert!(a == b, "JUnit differs:\n{}\n---\n{}", String::from_utf8_lossy(&a), String::from_utf8_lossy(&b));
    let xml = String::from_utf8(a).unwrap();
    assert!(xml.contains("<testsuite name=\"portcullis-corpus\""), "{xml}");
    assert!(xml.contains("<testcase classname=\"methods\" name=\"methods/x86\">"), "{xml}");
    assert!(xml.contains("<failure message=\"golden trace differs\">"), "{xml}");
    assert!(xml.contains("<testcase classname=\"halports\" name=\"halports/x64\"/>"), "{xml}");

    // The same job twice is an error.
    let o = portcullis(&["corpus", "merge", s(&out("all.jsonl")), s(&shard_files[0])], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("appears twice"), "{}", show(&o));

    // A scheduler's environment selects the same shard as --shard.
    let f = out("k8s-1.jsonl");
    let o = portcullis(
        &["corpus", "run", s(&dir), "--results", s(&f)],
        &[("JOB_COMPLETION_INDEX", "1"), ("JOB_COMPLETIONS", "3")],
    );
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", show(&o));
    assert_eq!(std::fs::read(&f).unwrap(), std::fs::read(&shard_files[1]).unwrap());
    let f = out("slurm-2.jsonl");
    let o = portcullis(
        &["corpus", "run", s(&dir), "--results", s(&f)],
        &[("SLURM_ARRAY_TASK_ID", "3"), ("SLURM_ARRAY_TASK_COUNT", "3"), ("SLURM_ARRAY_TASK_MIN", "1")],
    );
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", show(&o));
    assert_eq!(std::fs::read(&f).unwrap(), std::fs::read(&shard_files[2]).unwrap());
}

#[test]
fn a_worker_that_dies_fails_only_its_job() {
    let tmp = corpus("abort", &["halports", "beeper"], true);
    let dir = tmp.path().join("corpus");
    let o = portcullis(&["corpus", "run", s(&dir), "--bless"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));

    let o = portcullis(
        &["corpus", "run", s(&dir), "--jobs", "2", "--junit", s(&tmp.path().join("j.xml"))],
        &[("PORTCULLIS_TEST_WORKER_ABORT", "beeper/beeper/x86")],
    );
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let out = stdout(&o);
    let fails: Vec<&str> = out.lines().filter(|l| l.starts_with("FAIL")).collect();
    assert_eq!(fails.len(), 1, "{}", show(&o));
    assert!(fails[0].starts_with("FAIL beeper/beeper/x86: worker died: signal 6"), "{}", show(&o));
    // The worker's last words come with it.
    assert!(
        out.contains("    portcullis corpus worker: PORTCULLIS_TEST_WORKER_ABORT names beeper/beeper/x86"),
        "{}",
        show(&o)
    );
    assert_eq!(last_line(&o), "3 passed, 1 failed", "{}", show(&o));
    let xml = std::fs::read_to_string(tmp.path().join("j.xml")).unwrap();
    assert!(xml.contains("<failure message=\"worker died: signal 6 (SIGABRT)\">"), "{xml}");
}

#[test]
fn a_confined_worker_that_makes_a_forbidden_system_call_dies_and_fails_only_its_job() {
    let tmp = corpus("forbidden", &["halports", "beeper"], true);
    let dir = tmp.path().join("corpus");
    let o = portcullis(&["corpus", "run", s(&dir), "--bless"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));

    // Once confined, the worker of beeper/x64 opens a file: the filter kills it.
    let hook = [("PORTCULLIS_TEST_WORKER_FORBIDDEN_SYSCALL", "beeper/beeper/x64")];
    let o = portcullis(&["corpus", "run", s(&dir), "--jobs", "1"], &hook);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let out = stdout(&o);
    let fails: Vec<&str> = out.lines().filter(|l| l.starts_with("FAIL")).collect();
    assert_eq!(
        fails,
        ["FAIL beeper/beeper/x64: worker died: signal 31 (SIGSYS): a system call its seccomp filter forbids"],
        "{}",
        show(&o)
    );
    // Its last words name the call: openat is 257 on x86-64.
    assert!(out.contains("    portcullis: the seccomp filter forbids system call 257"), "{}", show(&o));
    assert_eq!(last_line(&o), "3 passed, 1 failed", "{}", show(&o));

    // Unconfined, the same hook opens the file and the job passes: the filter is what killed it.
    let o = portcullis(&["corpus", "run", s(&dir), "--unconfined"], &hook);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
}

#[test]
fn a_job_past_its_timeout_is_killed_and_the_run_goes_on() {
    // spin without its scenario file: the default scenario, with no limit of its own.
    let tmp = corpus("timeout", &["spin"], false);
    let with_scenarios = corpus("timeout-halports", &["halports"], true);
    let dir = tmp.path().join("corpus");
    std::fs::rename(with_scenarios.path().join("corpus/halports"), dir.join("halports")).unwrap();

    let started = std::time::Instant::now();
    let o = portcullis(
        &["corpus", "run", s(&dir), "--bless", "--jobs", "2", "--job-timeout", "1s", "--max-insns", "1000000000000000"],
        &[],
    );
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let out = stdout(&o);
    for arch in ["x64", "x86"] {
        let want = format!("FAIL spin/default/{arch}: timed out after 1s (--job-timeout); worker killed\n");
        assert!(out.contains(&want), "{want}{}", show(&o));
        assert!(!dir.join(format!("spin/golden/default.{arch}.jsonl")).exists());
    }
    assert_eq!(last_line(&o), "2 passed, 2 failed, 2 blessed", "{}", show(&o));
    assert!(dir.join("halports/golden/halports.x64.jsonl").exists());
    assert!(started.elapsed() < std::time::Duration::from_secs(50), "{:?}", started.elapsed());
}

#[test]
fn usage_errors_exit_2() {
    let tmp = corpus("usage", &["halports"], true);
    let dir = tmp.path().join("corpus");
    let missing = tmp.path().join("no-such-dir");
    for (args, env, msg) in [
        (vec!["corpus", "run", s(&missing)], vec![], "not a directory"),
        (vec!["corpus", "run", s(tmp.path())], vec![], "no drivers found"),
        (vec!["corpus", "run", s(&dir), "--shard", "3/3"], vec![], "out of range"),
        (vec!["corpus", "run", s(&dir), "--shard", "x"], vec![], "I/N"),
        (vec!["corpus", "run", s(&dir)], vec![("JOB_COMPLETION_INDEX", "0")], "JOB_COMPLETIONS"),
        (vec!["corpus", "merge", s(&missing)], vec![], "cannot read"),
    ] {
        let o = portcullis(&args, &env);
        assert_eq!(o.status.code(), Some(2), "{args:?}\n{}", show(&o));
        assert!(String::from_utf8_lossy(&o.stderr).contains(msg), "{args:?}: {msg}\n{}", show(&o));
    }
}

/// The bundled corpus against its own golden traces: the regression check itself. A change
/// that alters a trace on purpose re-blesses with `portcullis corpus run corpus --bless`.
#[test]
fn the_bundled_corpus_matches_its_golden_traces() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let o = portcullis(&["corpus", "run", s(&dir)], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let summary = last_line(&o);
    assert!(summary.ends_with(" passed, 0 failed"), "{}", show(&o));
    let passed: usize = summary.split(' ').next().unwrap().parse().unwrap();
    let goldens = std::fs::read_dir(&dir)
        .unwrap()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path().join("golden")).into_iter().flatten())
        .count();
    assert_eq!(passed, goldens, "every job has a golden trace\n{}", show(&o));
}
