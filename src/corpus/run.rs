//! `portcullis corpus run` and `portcullis corpus merge`: discovery, sharding, the pool, the
//! output in job order, stale golden files, the results and JUnit files.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::cli::{MergeArgs, RunArgs};
use super::golden;
use super::jobs::{self, Job};
use super::junit;
use super::pool::{self, progress_bar, PoolOptions};
use super::results::{self, JobResult, Summary};
use super::shard::Shard;
use super::worker::CorpusRequest;
use super::{error, EXIT_FAILED, EXIT_OK, EXIT_USAGE};

/// Where an output file is written before it is renamed into place: the file itself only
/// ever appears complete (a merge step may be polling for it).
fn partial(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".partial");
    path.with_file_name(name)
}

/// Creates the output file's partial file now, so that a bad path fails before the run.
fn check_writable(path: Option<&Path>) -> Result<(), String> {
    match path {
        Some(p) => std::fs::File::create(partial(p))
            .map(|_| ())
            .map_err(|e| format!("cannot create {}: {e}", partial(p).display())),
        None => Ok(()),
    }
}

fn write_atomically(path: &Path, write: impl FnOnce(&Path) -> std::io::Result<()>) -> Result<(), String> {
    let tmp = partial(path);
    write(&tmp).and_then(|_| std::fs::rename(&tmp, path)).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn write_outputs(results: &[JobResult], results_file: Option<&Path>, junit_file: Option<&Path>) -> Result<(), String> {
    if let Some(p) = results_file {
        write_atomically(p, |tmp| results::write_results(tmp, results))?;
    }
    if let Some(p) = junit_file {
        write_atomically(p, |tmp| std::fs::write(tmp, junit::render(results)))?;
    }
    Ok(())
}

/// `portcullis corpus run`.
pub fn run(args: RunArgs, verbose: u8, quiet: bool) -> i32 {
    let all = match jobs::discover(&args.dir) {
        Ok(j) => j,
        Err(e) => {
            error(e);
            return EXIT_USAGE;
        }
    };
    let shard = match args.shard {
        Some(s) => Some((s, "--shard")),
        None => match Shard::from_env(|k| std::env::var(k).ok()) {
            Ok(s) => s,
            Err(e) => {
                error(e);
                return EXIT_USAGE;
            }
        },
    };
    let selected: Vec<&Job> = all.iter().filter(|j| shard.is_none_or(|(s, _)| s.contains(&j.name))).collect();
    for p in [args.results.as_deref(), args.junit.as_deref()] {
        if let Err(e) = check_writable(p) {
            error(e);
            return EXIT_USAGE;
        }
    }
    let exe = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => {
            error(format!("cannot find the portcullis executable to start workers: {e}"));
            return EXIT_USAGE;
        }
    };
    let workers = args
        .jobs
        .map(usize::from)
        .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    if !quiet {
        if let Some((s, from)) = shard {
            eprintln!("portcullis: shard {s} (from {from}): {} of {} jobs", selected.len(), all.len());
        } else if verbose > 0 {
            eprintln!("portcullis: {} jobs, {} workers", selected.len(), workers.min(selected.len().max(1)));
        }
    }

    let requests: Vec<CorpusRequest> = selected
        .iter()
        .map(|j| CorpusRequest {
            job: (*j).clone(),
            bless: args.bless,
            max_insns: args.max_insns,
            timeout: args.timeout,
        })
        .collect();
    let opts = PoolOptions {
        exe,
        workers,
        task_timeout: Some(args.job_timeout),
        timeout_option: "--job-timeout",
        confined: !args.unconfined,
    };
    let pb = progress_bar(requests.len(), quiet);
    let mut slots: Vec<Option<JobResult>> = vec![None; requests.len()];
    let mut printed = 0;
    pool::run(&requests, &opts, |i, r| {
        pb.set_message(r.name.clone());
        pb.inc(1);
        slots[i] = Some(r);
        // Everything finished up to the first unfinished job is printed, in job order.
        while let Some(Some(r)) = slots.get(printed) {
            let text = r.render(verbose > 0, quiet);
            if !text.is_empty() {
                pb.suspend(|| {
                    let mut out = std::io::stdout().lock();
                    let _ = out.write_all(text.as_bytes());
                    let _ = out.flush();
                });
            }
            printed += 1;
        }
    });
    pb.finish_and_clear();
    let results: Vec<JobResult> = slots
        .into_iter()
        .zip(&requests)
        .map(|(r, req)| r.unwrap_or_else(|| JobResult::failed(&req.job, "no result (internal error)", None)))
        .collect();

    let mut code = EXIT_OK;
    match golden::stale(&args.dir, &all) {
        Ok(stale) if args.bless => {
            for p in stale {
                match golden::remove_stale(&p) {
                    Ok(()) if !quiet => println!("removed stale golden file {}", p.display()),
                    Ok(()) => {}
                    Err(e) => {
                        error(format!("cannot remove stale golden file {}: {e}", p.display()));
                        code = EXIT_FAILED;
                    }
                }
            }
        }
        Ok(stale) => {
            if shard.is_none() && !quiet {
                for p in stale {
                    eprintln!("portcullis: warning: {} belongs to no job (--bless removes it)", p.display());
                }
            }
        }
        Err(e) => error(format!("cannot look for stale golden files in {}: {e}", args.dir.display())),
    }
    if let Err(e) = write_outputs(&results, args.results.as_deref(), args.junit.as_deref()) {
        error(e);
        return EXIT_USAGE;
    }
    let summary = Summary::of(&results, args.bless);
    println!("{summary}");
    if summary.failed > 0 {
        EXIT_FAILED
    } else {
        code
    }
}

/// `portcullis corpus merge`.
pub fn merge(args: MergeArgs, verbose: u8, quiet: bool) -> i32 {
    let results = match results::merge(&args.files) {
        Ok(r) => r,
        Err(e) => {
            error(e);
            return EXIT_USAGE;
        }
    };
    let mut out = std::io::stdout().lock();
    for r in &results {
        let _ = out.write_all(r.render(verbose > 0, quiet).as_bytes());
    }
    if let Err(e) = write_outputs(&results, None, args.junit.as_deref()) {
        error(e);
        return EXIT_USAGE;
    }
    let summary = Summary::of(&results, false);
    let _ = writeln!(out, "{summary}");
    if summary.failed > 0 {
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}
