//! Corpus regression runs: every driver with its scenarios, compared with golden traces.
//!
//! `portcullis corpus run [DIR]` finds the jobs of a corpus ([`jobs`]: driver × scenario ×
//! architecture), keeps those of its shard ([`shard`]), runs each in a worker process
//! ([`pool`], [`worker`]) and compares the job's normalised trace with its golden file
//! ([`golden`]). It prints failures (with a diff) in job order and the line
//! `N passed, M failed`, and can write a JUnit report ([`junit`]) and a results file
//! ([`results`]); `portcullis corpus merge` turns the results files of sharded runs into the
//! output of one run. docs/corpus.md describes it for users.

mod cli;
pub mod golden;
pub mod jobs;
pub mod junit;
pub mod pool;
pub mod results;
mod run;
pub mod shard;
pub mod worker;

pub use cli::{CorpusCommand, MergeArgs, RunArgs};
pub use jobs::{discover, Job};
pub use results::{JobResult, Summary};
pub use shard::Shard;

/// Every job passed.
pub const EXIT_OK: i32 = 0;
/// At least one job failed.
pub const EXIT_FAILED: i32 = 1;
/// Usage error: bad DIR, bad shard, unreadable results file, unwritable output file.
pub const EXIT_USAGE: i32 = 2;

fn error(msg: impl std::fmt::Display) {
    eprintln!("portcullis: {msg}");
}

/// Runs a `portcullis corpus` subcommand; returns the process exit code.
pub fn main(command: CorpusCommand, verbose: u8, quiet: bool) -> i32 {
    match command {
        CorpusCommand::Run(args) => run::run(args, verbose, quiet),
        CorpusCommand::Merge(args) => run::merge(args, verbose, quiet),
        CorpusCommand::Worker(args) => worker::main(args.confined),
    }
}
