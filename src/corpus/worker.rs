//! The worker: `portcullis corpus worker`, the process that actually runs tasks.
//!
//! It reads one [`Request`] per line on stdin (a corpus job or a survey driver) and answers
//! each with one [`Answer`] line on stdout (diagnostics go to stderr), until stdin ends. A
//! driver that crashes the emulator, loops past every limit or exhausts memory takes only its
//! worker down; the runner reports the task and starts another worker.

use crate::outcome::Outcome;
use std::cell::RefCell;
use std::io::{BufRead, Write};
use std::rc::Rc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::golden::{self, Verdict};
use super::jobs::Job;
use super::pool::{Failure, Task};
use super::results::JobResult;
use crate::limits::Budget;
use crate::scenario::Scenario;
use crate::survey::{SurveyRequest, SurveyRow};
use crate::Sandbox;

/// Test hook: a worker that receives the task named by this variable aborts at once
/// (documented in docs/corpus.md).
pub const ABORT_ENV: &str = "PORTCULLIS_TEST_WORKER_ABORT";

/// Test hook: a worker that receives the task named by this variable stops answering (it
/// sleeps until killed), as a worker stuck outside guest code would.
pub const HANG_ENV: &str = "PORTCULLIS_TEST_WORKER_HANG";

/// A job's trace larger than this fails the job instead of filling the worker's memory.
pub const MAX_TRACE_BYTES: usize = crate::limits::DEFAULT_MAX_TRACE as usize;

/// What the runner sends a worker: one task.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "task", rename_all = "snake_case")]
pub enum Request {
    Corpus(CorpusRequest),
    Survey(SurveyRequest),
}

/// What a worker answers: the result of the task it was sent.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "task", rename_all = "snake_case")]
pub enum Answer {
    Corpus(JobResult),
    Survey(SurveyRow),
}

impl Request {
    pub fn name(&self) -> &str {
        match self {
            Request::Corpus(r) => &r.job.name,
            Request::Survey(r) => &r.file,
        }
    }
}

impl Answer {
    pub fn name(&self) -> &str {
        match self {
            Answer::Corpus(r) => &r.name,
            Answer::Survey(r) => &r.file,
        }
    }
}

/// One corpus job and how to run it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CorpusRequest {
    pub job: Job,
    /// Write the golden file instead of comparing with it.
    pub bless: bool,
    /// The guest instruction budget, unless the scenario sets its own.
    pub max_insns: Budget<u64>,
    /// The wall-time budget, unless the scenario sets its own.
    pub timeout: Budget<Duration>,
}

impl Task for CorpusRequest {
    type Output = JobResult;

    fn name(&self) -> &str {
        &self.job.name
    }

    fn request(&self) -> Request {
        Request::Corpus(self.clone())
    }

    fn output(&self, answer: Answer) -> Option<JobResult> {
        match answer {
            Answer::Corpus(r) => Some(r),
            Answer::Survey(_) => None,
        }
    }

    fn failed(&self, failure: Failure) -> JobResult {
        JobResult::failed(&self.job, failure.reason, failure.stderr)
    }
}

/// The worker's main loop; returns the process exit code.
pub fn main() -> i32 {
    let abort_on = std::env::var(ABORT_ENV).ok();
    let hang_on = std::env::var(HANG_ENV).ok();
    let mut out = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                eprintln!("portcullis corpus worker: cannot read a request: {e}");
                return 2;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        let req: Request = match serde_json::from_str(&line) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("portcullis corpus worker: not a request ({e}): {line}");
                return 2;
            }
        };
        if abort_on.as_deref() == Some(req.name()) {
            eprintln!("portcullis corpus worker: {ABORT_ENV} names {}: aborting", req.name());
            std::process::abort();
        }
        if hang_on.as_deref() == Some(req.name()) {
            eprintln!("portcullis corpus worker: {HANG_ENV} names {}: hanging", req.name());
            loop {
                std::thread::sleep(Duration::from_secs(3600));
            }
        }
        let answer = match &req {
            Request::Corpus(r) => Answer::Corpus(execute(r)),
            Request::Survey(r) => Answer::Survey(crate::survey::examine(r)),
        };
        let written = serde_json::to_writer(&mut out, &answer)
            .map_err(std::io::Error::from)
            .and_then(|_| out.write_all(b"\n"))
            .and_then(|_| out.flush());
        if let Err(e) = written {
            eprintln!("portcullis corpus worker: cannot answer: {e}");
            return 2;
        }
    }
    0
}

/// The trace of one job, kept in memory up to [`MAX_TRACE_BYTES`].
#[derive(Clone, Default)]
struct TraceBuf(Rc<RefCell<(Vec<u8>, bool)>>);

impl TraceBuf {
    fn overflowed(&self) -> bool {
        self.0.borrow().1
    }

    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut self.0.borrow_mut().0)
    }
}

impl Write for TraceBuf {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let mut b = self.0.borrow_mut();
        if b.0.len() + data.len() > MAX_TRACE_BYTES {
            b.1 = true;
            return Err(std::io::Error::other("the trace is too large"));
        }
        b.0.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// How a job's run ended, for the verdict.
struct Ran {
    /// The report's outcome.
    outcome: Outcome,
    /// The outcome the scenario expects.
    expect: Outcome,
    /// Whether the run ended the way the scenario says it would.
    as_expected: bool,
    /// The scenario's expectations that did not hold.
    failed_expectations: Vec<String>,
}

enum JobError {
    /// The scenario could not be read or applied.
    Scenario(String),
    /// The driver could not be loaded.
    Load(String),
}

/// Runs one job as `portcullis run <sys> [--scenario FILE] --trace T` does, streaming the
/// trace to `trace`: the one place that knows how scenarios are run.
fn run_job(req: &CorpusRequest, trace: Box<dyn Write>) -> Result<Ran, JobError> {
    let job = &req.job;
    let scenario = match &job.scenario_file {
        Some(p) => Scenario::from_file(p).map_err(|e| JobError::Scenario(e.to_string()))?,
        None => Scenario::default_scenario(),
    };
    // The file's own limits win over the runner's budgets.
    let builder =
        Sandbox::builder().max_instructions(req.max_insns.or_zero()).timeout(req.timeout.or_zero()).trace(trace);
    let builder = scenario.configure(builder).map_err(|e| JobError::Scenario(e.to_string()))?;
    let mut sb = builder.load_driver(&job.sys).map_err(|e| JobError::Load(e.to_string()))?;
    let outcome = scenario.run(&mut sb);
    let report = sb.report();
    Ok(Ran {
        outcome: report.outcome,
        expect: scenario.expect_outcome(),
        as_expected: outcome.outcome_as_expected,
        failed_expectations: report.failed_expectations.into_iter().map(|f| f.message).collect(),
    })
}

/// Runs the job, then compares its trace with the golden file (or blesses it).
pub fn execute(req: &CorpusRequest) -> JobResult {
    let job = &req.job;
    let buf = TraceBuf::default();
    let ran = run_job(req, Box::new(buf.clone()));
    let trace = buf.take();
    let ran = match ran {
        Ok(r) => r,
        Err(JobError::Scenario(msg)) => return JobResult::failed(job, format!("scenario: {msg}"), None),
        Err(JobError::Load(msg)) => {
            let mut r = JobResult::failed(job, format!("cannot load the driver: {msg}"), None);
            r.outcome = Some(Outcome::LoadError);
            return r;
        }
    };
    let mut result =
        JobResult { outcome: Some(ran.outcome), expected_outcome: Some(ran.expect), ..JobResult::new(job) };
    if buf.overflowed() {
        result.reason =
            Some(format!("the trace is larger than {} MiB; it cannot be a golden trace", MAX_TRACE_BYTES >> 20));
        return result;
    }
    let mut reasons = Vec::new();
    if !ran.as_expected {
        reasons.push(format!("outcome {}, expected {}", ran.outcome, ran.expect));
    }
    match ran.failed_expectations.as_slice() {
        [] => {}
        [one] => reasons.push(format!("expectation failed: {one}")),
        [first, rest @ ..] => reasons.push(format!("{} expectations failed: {first}; ...", rest.len() + 1)),
    }
    let actual = golden::normalise(&String::from_utf8_lossy(&trace));
    if req.bless {
        match golden::bless(job, &actual) {
            Ok(b) => result.blessed = Some(b),
            Err(e) => reasons.push(format!("cannot write {}: {e}", job.golden.display())),
        }
    } else {
        match golden::compare(job, &actual) {
            Ok(Verdict::Same) => {}
            Ok(Verdict::Missing) => reasons.push("no golden file (run with --bless)".into()),
            Ok(Verdict::Differs { diff }) => {
                reasons.push("golden trace differs".into());
                result.diff = Some(diff);
            }
            Err(e) => reasons.push(format!("cannot read {}: {e}", job.golden.display())),
        }
    }
    result.passed = reasons.is_empty();
    result.reason = (!reasons.is_empty()).then(|| reasons.join("; "));
    result
}
