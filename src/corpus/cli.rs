//! The command line of `portcullis corpus`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};

use super::shard::Shard;
use crate::limits::{Budget, CORPUS_TIMEOUT, DEFAULT_MAX_INSNS};

#[derive(Debug, Subcommand)]
pub enum CorpusCommand {
    /// Run every job of a corpus (each driver × scenario × architecture) in worker processes
    /// and compare each trace with its golden file.
    Run(RunArgs),
    /// Combine the results files of sharded runs: the failures, summary line and JUnit
    /// report one unsharded run would give.
    Merge(MergeArgs),
    /// Internal: run jobs read as JSON lines on stdin, answering one JSON line each on stdout.
    #[command(hide = true)]
    Worker(WorkerArgs),
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// Serve one task, confined (seccomp filter and rlimits) once its driver is loaded.
    #[arg(long)]
    pub confined: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The corpus directory: DIR/<name>/<name>.{x86,x64}.sys, scenarios DIR/<name>/*.toml.
    #[arg(value_name = "DIR", default_value = "corpus")]
    pub dir: PathBuf,
    /// Write this run's traces as the golden files instead of comparing with them, and
    /// remove golden files of jobs that no longer exist.
    #[arg(long)]
    pub bless: bool,
    /// Worker processes running jobs in parallel [default: the number of CPUs].
    #[arg(short = 'j', long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// Kill a job's worker and fail the job after this much wall time (e.g. 500ms, 90s, 5m).
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = humantime::parse_duration)]
    pub job_timeout: Duration,
    /// Guest instruction budget of each job (limits set by a scenario take precedence);
    /// 0 or none: no limit.
    #[arg(long, value_name = "N", default_value_t = Budget(Some(DEFAULT_MAX_INSNS)))]
    pub max_insns: Budget<u64>,
    /// Wall-time budget of each job inside the emulator (limits set by a scenario take
    /// precedence); 0 or none: no limit. A job it ends keeps its trace and report, unlike one
    /// killed at --job-timeout.
    #[arg(long, value_name = "DURATION", default_value_t = Budget(Some(CORPUS_TIMEOUT)))]
    pub timeout: Budget<Duration>,
    /// Run workers unconfined: without the seccomp filter and rlimits each task's worker
    /// puts on itself before the driver runs (for hosts without seccomp, or to debug).
    #[arg(long)]
    pub unconfined: bool,
    /// Run only shard I of N (zero-based; a job goes to shard fmix64(fnv1a64(name)) % N). Without
    /// it, a Kubernetes Indexed Job (JOB_COMPLETION_INDEX, JOB_COMPLETIONS) or a Slurm array
    /// (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT) in the environment selects the shard.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<Shard>,
    /// Write a JUnit XML report to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write every job's result as JSON Lines to FILE (input of `portcullis corpus merge`).
    #[arg(long, value_name = "FILE")]
    pub results: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Results files written by `portcullis corpus run --results`.
    #[arg(value_name = "FILES", required = true)]
    pub files: Vec<PathBuf>,
    /// Write a JUnit XML report to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
}
