//! The worker pool: tasks (corpus jobs, survey drivers) run in `portcullis corpus worker`
//! processes, never in the runner.
//!
//! Each of N feeder threads (a rayon pool sized to the workers) owns one worker process and
//! takes the next task from a shared counter, sends it as a JSON line ([`Request`]) and waits
//! for the answer line ([`Answer`]) with the task's timeout. A worker that dies (crash,
//! signal, stdout closed) fails its task with "worker died: ..." and is replaced for the next
//! task; one that overruns the timeout is killed and fails its task with "timed out ...".
//! Results go back with their task's index, so the caller can report them in task order
//! whatever order they finish in.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::worker::{Answer, Request};

/// How much of a worker's stderr is kept per job (its end).
const STDERR_TAIL: usize = 4096;

/// Work the pool hands to worker processes.
pub trait Task: Sync {
    /// What the caller gets back for the task.
    type Output: Send;
    /// Names the task in its answer and in the worker's test hooks.
    fn name(&self) -> &str;
    /// The line sent to the worker.
    fn request(&self) -> Request;
    /// This task's output, if `answer` is an answer to it.
    fn output(&self, answer: Answer) -> Option<Self::Output>;
    /// The output of a task that got no answer.
    fn failed(&self, failure: Failure) -> Self::Output;
}

/// Why a task got no answer from its worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// No worker could be started.
    Spawn,
    /// The worker died (crash, signal, closed output).
    Died,
    /// The worker overran the timeout and was killed.
    Killed,
    /// The worker answered something else.
    Protocol,
}

/// A task's failure: its kind, one line saying why, and the end of the worker's stderr.
#[derive(Clone, Debug)]
pub struct Failure {
    pub kind: FailureKind,
    pub reason: String,
    pub stderr: Option<String>,
}

pub struct PoolOptions {
    /// The `portcullis` executable.
    pub exe: PathBuf,
    pub workers: usize,
    /// A worker still busy with a task after this is killed; `None`: never.
    pub task_timeout: Option<Duration>,
    /// The option that sets the timeout, for messages ("--job-timeout").
    pub timeout_option: &'static str,
    /// Each task in a worker of its own that confines itself before the driver runs
    /// (`corpus worker --confined`, [`crate::confine`]); off with `--unconfined`.
    pub confined: bool,
}

/// Runs every task; `on_result(index, output)` is called on the calling thread as each
/// task finishes (in completion order).
pub fn run<T: Task>(tasks: &[T], opts: &PoolOptions, mut on_result: impl FnMut(usize, T::Output)) {
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<(usize, T::Output)>();
    let feeders = opts.workers.clamp(1, tasks.len().max(1));
    // One pool thread per worker process: each only waits on its worker's pipes.
    let pool = match rayon::ThreadPoolBuilder::new()
        .num_threads(feeders)
        .thread_name(|i| format!("corpus-feeder-{i}"))
        .build()
    {
        Ok(p) => p,
        Err(e) => {
            for (i, task) in tasks.iter().enumerate() {
                let reason = format!("cannot start the worker pool: {e}");
                on_result(i, task.failed(Failure { kind: FailureKind::Spawn, reason, stderr: None }));
            }
            return;
        }
    };
    pool.in_place_scope(|scope| {
        for _ in 0..feeders {
            let tx = tx.clone();
            let next = &next;
            scope.spawn(move |_| {
                let mut worker: Option<Worker> = None;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(task) = tasks.get(i) else { break };
                    let result = run_one(&mut worker, task, opts);
                    if tx.send((i, result)).is_err() {
                        break;
                    }
                }
                if let Some(w) = worker {
                    w.finish();
                }
            });
        }
        drop(tx);
        // Results arrive here, on the calling thread, as jobs finish.
        for (i, r) in rx {
            on_result(i, r);
        }
    });
}

/// Runs one task on `slot`'s worker, starting one if needed and dropping it if it ended.
fn run_one<T: Task>(slot: &mut Option<Worker>, task: &T, opts: &PoolOptions) -> T::Output {
    if slot.is_none() {
        match Worker::spawn(&opts.exe, opts.confined) {
            Ok(w) => *slot = Some(w),
            Err(e) => {
                let reason = format!("cannot start a worker: {e}");
                return task.failed(Failure { kind: FailureKind::Spawn, reason, stderr: None });
            }
        }
    }
    let w = slot.as_mut().expect("a worker was just started");
    let end = match w.run(task, opts.task_timeout) {
        Ok(answer) => match task.output(answer) {
            Some(out) => {
                // A confined worker serves one task and exits.
                if opts.confined {
                    if let Some(w) = slot.take() {
                        w.finish();
                    }
                }
                return out;
            }
            None => Ended::Protocol(format!("answered something other than {}", task.name())),
        },
        Err(end) => end,
    };
    let w = slot.take().expect("the worker is there");
    let (kind, reason, stderr) = match end {
        Ended::Timeout => {
            let stderr = w.kill();
            let t = humantime::format_duration(opts.task_timeout.unwrap_or_default());
            (FailureKind::Killed, format!("timed out after {t} ({}); worker killed", opts.timeout_option), stderr)
        }
        Ended::Died => {
            let (status, stderr) = w.reap();
            let how = match status {
                Ok(s) => describe(s),
                Err(e) => format!("cannot wait for it: {e}"),
            };
            (FailureKind::Died, format!("worker died: {how}"), stderr)
        }
        Ended::Protocol(msg) => {
            let stderr = w.kill();
            (FailureKind::Protocol, format!("worker protocol error: {msg}"), stderr)
        }
    };
    task.failed(Failure { kind, reason, stderr })
}

/// A progress bar on stderr when it is a terminal (and not `quiet`); hidden otherwise.
pub fn progress_bar(len: usize, quiet: bool) -> ProgressBar {
    use std::io::IsTerminal;
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}") {
        pb.set_style(style);
    }
    pb
}

/// "signal 9 (SIGKILL)" or "exit status 101".
pub fn describe(status: ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            let name = match sig {
                1 => " (SIGHUP)",
                2 => " (SIGINT)",
                4 => " (SIGILL)",
                6 => " (SIGABRT)",
                7 => " (SIGBUS)",
                8 => " (SIGFPE)",
                9 => " (SIGKILL)",
                11 => " (SIGSEGV)",
                13 => " (SIGPIPE)",
                15 => " (SIGTERM)",
                24 => " (SIGXCPU)",
                25 => " (SIGXFSZ)",
                31 => " (SIGSYS)",
                _ => "",
            };
            return match crate::confine::signal_meaning(sig) {
                Some(meaning) => format!("signal {sig}{name}: {meaning}"),
                None => format!("signal {sig}{name}"),
            };
        }
    }
    match status.code() {
        Some(c) => format!("exit status {c}"),
        None => status.to_string(),
    }
}

enum Ended {
    Timeout,
    Died,
    Protocol(String),
}

/// One worker process and the threads reading its output.
struct Worker {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    stdout_thread: Option<JoinHandle<()>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    stderr_thread: Option<JoinHandle<()>>,
}

impl Worker {
    fn spawn(exe: &std::path::Path, confined: bool) -> std::io::Result<Worker> {
        let mut child = Command::new(exe)
            .args(["corpus", "worker"])
            .args(confined.then_some("--confined"))
            // Its diagnostics end up in reports and JUnit files: no colour codes.
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut stderr_pipe = child.stderr.take().expect("stderr is piped");
        let (tx, lines) = mpsc::channel();
        let stdout_thread = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let tail = stderr.clone();
        let stderr_thread = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr_pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let mut t = tail.lock().unwrap_or_else(|e| e.into_inner());
                t.extend_from_slice(&buf[..n]);
                if t.len() > STDERR_TAIL {
                    let cut = t.len() - STDERR_TAIL;
                    t.drain(..cut);
                }
            }
        });
        Ok(Worker {
            child,
            stdin,
            lines,
            stdout_thread: Some(stdout_thread),
            stderr,
            stderr_thread: Some(stderr_thread),
        })
    }

    /// Sends the task and waits for its answer (`timeout`: how long at most).
    fn run<T: Task>(&mut self, task: &T, timeout: Option<Duration>) -> Result<Answer, Ended> {
        self.stderr.lock().unwrap_or_else(|e| e.into_inner()).clear();
        let line = serde_json::to_string(&task.request()).map_err(|e| Ended::Protocol(e.to_string()))?;
        let sent = match &mut self.stdin {
            Some(stdin) => {
                stdin.write_all(line.as_bytes()).and_then(|_| stdin.write_all(b"\n")).and_then(|_| stdin.flush())
            }
            None => Err(std::io::Error::other("stdin closed")),
        };
        if sent.is_err() {
            return Err(Ended::Died);
        }
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            let line = match deadline {
                Some(d) => self.lines.recv_timeout(d.saturating_duration_since(Instant::now())),
                None => self.lines.recv().map_err(|_| RecvTimeoutError::Disconnected),
            };
            match line {
                Ok(line) => match serde_json::from_str::<Answer>(&line) {
                    Ok(a) if a.name() == task.name() => return Ok(a),
                    Ok(a) => return Err(Ended::Protocol(format!("answered for {} instead", a.name()))),
                    Err(_) => {
                        // Not an answer: something wrote to the worker's stdout. Keep it as
                        // a diagnostic and go on waiting.
                        let mut t = self.stderr.lock().unwrap_or_else(|e| e.into_inner());
                        t.extend_from_slice(format!("(stdout) {line}\n").as_bytes());
                    }
                },
                Err(RecvTimeoutError::Timeout) => return Err(Ended::Timeout),
                Err(RecvTimeoutError::Disconnected) => return Err(Ended::Died),
            }
        }
    }

    fn stderr_tail(&self) -> Option<String> {
        let t = self.stderr.lock().unwrap_or_else(|e| e.into_inner());
        let text = String::from_utf8_lossy(&t);
        let text = text.trim_end();
        (!text.is_empty()).then(|| text.to_string())
    }

    fn join_readers(&mut self) {
        for h in [self.stdout_thread.take(), self.stderr_thread.take()].into_iter().flatten() {
            let _ = h.join();
        }
    }

    /// Waits for a worker whose output ended; its exit status and last diagnostics. One
    /// that closed its stdout but goes on running is killed after a grace period.
    fn reap(mut self) -> (std::io::Result<ExitStatus>, Option<String>) {
        self.stdin = None;
        let grace = Instant::now() + Duration::from_secs(2);
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(s)) => break Ok(s),
                Ok(None) if Instant::now() < grace => std::thread::sleep(Duration::from_millis(10)),
                Ok(None) => {
                    let _ = self.child.kill();
                    break self.child.wait();
                }
                Err(e) => break Err(e),
            }
        };
        self.join_readers();
        let tail = self.stderr_tail();
        (status, tail)
    }

    /// Kills the worker; its last diagnostics.
    fn kill(mut self) -> Option<String> {
        let _ = self.child.kill();
        self.reap().1
    }

    /// Closes its stdin so it exits, and waits for it.
    fn finish(mut self) {
        self.stdin = None;
        let _ = self.child.wait();
        self.join_readers();
    }
}
