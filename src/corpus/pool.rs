//! The worker pool: jobs run in `portcullis corpus worker` processes, never in the runner.
//!
//! Each of N feeder threads (a rayon pool sized to the workers) owns one worker process and takes the next job from a shared
//! counter, sends it as a JSON line and waits for the answer line with the job's timeout. A
//! worker that dies (crash, signal, stdout closed) fails its job with "worker died: ..." and
//! is replaced for the next job; one that overruns the timeout is killed and fails its job
//! with "timed out ...". Results go back with their job's index, so the caller can report
//! them in job order whatever order they finish in.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::results::JobResult;
use super::worker::Request;

/// How much of a worker's stderr is kept per job (its end).
const STDERR_TAIL: usize = 4096;

pub struct PoolOptions {
    /// The `portcullis` executable.
    pub exe: PathBuf,
    pub workers: usize,
    pub job_timeout: Duration,
}

/// Runs every request; `on_result(index, result)` is called on the calling thread as each
/// job finishes (in completion order).
pub fn run(requests: &[Request], opts: &PoolOptions, mut on_result: impl FnMut(usize, JobResult)) {
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<(usize, JobResult)>();
    let feeders = opts.workers.clamp(1, requests.len().max(1));
    // One pool thread per worker process: each only waits on its worker's pipes.
    let pool = match rayon::ThreadPoolBuilder::new()
        .num_threads(feeders)
        .thread_name(|i| format!("corpus-feeder-{i}"))
        .build()
    {
        Ok(p) => p,
        Err(e) => {
            for (i, req) in requests.iter().enumerate() {
                on_result(i, JobResult::failed(&req.job, format!("cannot start the worker pool: {e}"), None));
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
                    let Some(req) = requests.get(i) else { break };
                    let result = run_one(&mut worker, req, opts);
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

/// Runs one job on `slot`'s worker, starting one if needed and dropping it if it ended.
fn run_one(slot: &mut Option<Worker>, req: &Request, opts: &PoolOptions) -> JobResult {
    let job = &req.job;
    if slot.is_none() {
        match Worker::spawn(&opts.exe) {
            Ok(w) => *slot = Some(w),
            Err(e) => return JobResult::failed(job, format!("cannot start a worker: {e}"), None),
        }
    }
    let w = slot.as_mut().expect("a worker was just started");
    match w.run(req, opts.job_timeout) {
        Ok(r) => r,
        Err(end) => {
            let w = slot.take().expect("the worker is there");
            let (reason, stderr) = match end {
                Ended::Timeout => {
                    let stderr = w.kill();
                    let t = humantime::format_duration(opts.job_timeout);
                    (format!("timed out after {t} (--job-timeout); worker killed"), stderr)
                }
                Ended::Died => {
                    let (status, stderr) = w.reap();
                    let how = match status {
                        Ok(s) => describe(s),
                        Err(e) => format!("cannot wait for it: {e}"),
                    };
                    (format!("worker died: {how}"), stderr)
                }
                Ended::Protocol(msg) => {
                    let stderr = w.kill();
                    (format!("worker protocol error: {msg}"), stderr)
                }
            };
            JobResult::failed(job, reason, stderr)
        }
    }
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
                _ => "",
            };
            return format!("signal {sig}{name}");
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
    fn spawn(exe: &std::path::Path) -> std::io::Result<Worker> {
        let mut child = Command::new(exe)
            .args(["corpus", "worker"])
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

    /// Sends the job and waits for its result.
    fn run(&mut self, req: &Request, timeout: Duration) -> Result<JobResult, Ended> {
        self.stderr.lock().unwrap_or_else(|e| e.into_inner()).clear();
        let line = serde_json::to_string(req).map_err(|e| Ended::Protocol(e.to_string()))?;
        let sent = match &mut self.stdin {
            Some(stdin) => {
                stdin.write_all(line.as_bytes()).and_then(|_| stdin.write_all(b"\n")).and_then(|_| stdin.flush())
            }
            None => Err(std::io::Error::other("stdin closed")),
        };
        if sent.is_err() {
            return Err(Ended::Died);
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => match serde_json::from_str::<JobResult>(&line) {
                    Ok(r) if r.name == req.job.name => return Ok(r),
                    Ok(r) => return Err(Ended::Protocol(format!("answered for {} instead", r.name))),
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
