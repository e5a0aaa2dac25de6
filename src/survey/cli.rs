//! `portcullis survey PATH... [--format text|json] [--jobs N] [--missing-imports error|stub]
//! [--timeout D] [--max-insns N]`.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::discover;
use super::row::{SurveyRequest, SurveyRow};
use super::summary::{Columns, Settings, Survey};
use crate::corpus::pool::{self, progress_bar, PoolOptions};
use crate::limits::{Budget, DEFAULT_MAX_INSNS, SURVEY_TIMEOUT};

/// Exit codes: the survey ran (whatever the drivers did), or a usage error.
const EXIT_OK: i32 = 0;
const EXIT_USAGE: i32 = 2;

#[derive(Debug, Args)]
pub struct SurveyArgs {
    /// Driver files, and directories searched recursively for *.sys (any case).
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    /// Output format: one row per driver then a ranking and a summary, or one JSON document.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Worker processes running drivers in parallel [default: the number of CPUs].
    #[arg(short = 'j', long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// What to do with imports the kernel does not implement.
    #[arg(long, value_enum, default_value = "error")]
    pub missing_imports: Missing,
    /// Wall time each driver may run (e.g. 500ms, 10s); 0 or none: no limit. Its worker is
    /// killed at twice this plus a second.
    #[arg(long, value_name = "DURATION", default_value_t = Budget(Some(SURVEY_TIMEOUT)))]
    pub timeout: Budget<Duration>,
    /// Guest instructions each driver may execute; 0 or none: no limit.
    #[arg(long, value_name = "N", default_value_t = Budget(Some(DEFAULT_MAX_INSNS)))]
    pub max_insns: Budget<u64>,
    /// Run workers unconfined: without the seccomp filter and rlimits each task's worker
    /// puts on itself before the driver runs (for hosts without seccomp, or to debug).
    #[arg(long)]
    pub unconfined: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Missing {
    Error,
    Stub,
}

/// When a worker still busy with a driver is killed: it is stuck outside guest code.
fn kill_after(timeout: Duration) -> Duration {
    timeout * 2 + Duration::from_secs(1)
}

/// `portcullis survey`; returns the exit code.
pub fn main(args: SurveyArgs, verbose: u8, quiet: bool) -> i32 {
    let (paths, warnings) = match discover::find(&args.paths) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("portcullis: {e}");
            return EXIT_USAGE;
        }
    };
    for w in warnings {
        eprintln!("portcullis: warning: {w}");
    }
    let exe = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("portcullis: cannot find the portcullis executable to start workers: {e}");
            return EXIT_USAGE;
        }
    };
    let requests: Vec<SurveyRequest> = paths
        .into_iter()
        .map(|path| SurveyRequest {
            file: path.display().to_string(),
            path,
            stub_missing_imports: args.missing_imports == Missing::Stub,
            max_insns: args.max_insns,
            timeout: args.timeout,
        })
        .collect();
    let workers = args
        .jobs
        .map(usize::from)
        .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    let opts = PoolOptions {
        exe,
        workers,
        task_timeout: args.timeout.0.map(kill_after),
        timeout_option: "--timeout",
        confined: !args.unconfined,
    };

    let text = args.format == Format::Text && !quiet;
    let columns = Columns::for_files(requests.iter().map(|r| r.file.as_str()));
    let mut out = std::io::stdout().lock();
    if text {
        let _ = out.write_all(columns.header().as_bytes());
    }
    let pb = progress_bar(requests.len(), quiet);
    let mut slots: Vec<Option<SurveyRow>> = vec![None; requests.len()];
    let mut printed = 0;
    pool::run(&requests, &opts, |i, row| {
        pb.set_message(row.file.clone());
        pb.inc(1);
        slots[i] = Some(row);
        // Rows are printed in file order as soon as all before them are done.
        while let Some(Some(r)) = slots.get(printed) {
            if text {
                pb.suspend(|| {
                    let _ = out.write_all(columns.row(r).as_bytes());
                    let _ = out.flush();
                });
            }
            printed += 1;
        }
    });
    pb.finish_and_clear();
    let rows: Vec<SurveyRow> = slots
        .into_iter()
        .zip(&requests)
        .map(|(r, req)| r.unwrap_or_else(|| SurveyRow::of_error(&req.file, "no result (internal error)".into())))
        .collect();
    let settings = Settings {
        missing_imports: match args.missing_imports {
            Missing::Error => "error",
            Missing::Stub => "stub",
        },
        max_instructions: args.max_insns.0,
        timeout_ms: args.timeout.0.map(|t| t.as_millis() as u64),
    };
    let survey = Survey::new(settings, rows);
    match args.format {
        Format::Json => {
            let _ = writeln!(out, "{}", serde_json::to_string_pretty(&survey).expect("the survey serialises"));
        }
        Format::Text if !quiet => {
            let _ = out.write_all(survey.render_tail(verbose > 0).as_bytes());
        }
        Format::Text => {}
    }
    EXIT_OK
}
