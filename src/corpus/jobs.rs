//! Job discovery: which (driver, scenario, architecture) triples a corpus holds.
//!
//! A driver is a directory `DIR/<name>/` holding `<name>.x86.sys` and/or `<name>.x64.sys`;
//! directories without either are not drivers. A driver runs each of its scenario files
//! `DIR/<name>/<stem>.toml` (scenario name `<stem>`), or, when it has none, the built-in
//! default scenario (scenario name `default`). A job is named `<name>/<scenario>/<arch>`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The architectures a driver may come in, as they appear in file names.
pub const ARCHES: [&str; 2] = ["x86", "x64"];

/// The scenario name of the built-in default scenario (and of `default.toml`).
pub const DEFAULT_SCENARIO: &str = "default";

/// One run of one driver image with one scenario.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// `<driver>/<scenario>/<arch>`.
    pub name: String,
    pub driver: String,
    pub scenario: String,
    pub arch: String,
    /// The driver image.
    pub sys: PathBuf,
    /// The scenario file; `None` runs the built-in default scenario.
    pub scenario_file: Option<PathBuf>,
    /// `DIR/<driver>/golden/<scenario>.<arch>.jsonl`.
    pub golden: PathBuf,
}

impl Job {
    fn new(driver_dir: &Path, driver: &str, scenario: &str, arch: &str, scenario_file: Option<PathBuf>) -> Job {
        Job {
            name: job_name(driver, scenario, arch),
            driver: driver.into(),
            scenario: scenario.into(),
            arch: arch.into(),
            sys: driver_dir.join(format!("{driver}.{arch}.sys")),
            scenario_file,
            golden: golden_path(driver_dir, scenario, arch),
        }
    }

    /// The golden file relative to the corpus directory (`<driver>/golden/<file>`), for messages.
    pub fn golden_display(&self) -> String {
        format!("{}/golden/{}.{}.jsonl", self.driver, self.scenario, self.arch)
    }
}

pub fn job_name(driver: &str, scenario: &str, arch: &str) -> String {
    format!("{driver}/{scenario}/{arch}")
}

/// `<driver dir>/golden/<scenario>.<arch>.jsonl`.
pub fn golden_path(driver_dir: &Path, scenario: &str, arch: &str) -> PathBuf {
    driver_dir.join("golden").join(format!("{scenario}.{arch}.jsonl"))
}

#[derive(Debug, Error)]
pub enum DiscoverError {
    #[error("{}: not a directory", .0.display())]
    NotADirectory(PathBuf),
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{}: no drivers found (expected <name>/<name>.x86.sys or <name>/<name>.x64.sys)", .0.display())]
    Empty(PathBuf),
}

fn read_dir_sorted(dir: &Path) -> Result<Vec<(String, PathBuf)>, DiscoverError> {
    let rd = std::fs::read_dir(dir).map_err(|source| DiscoverError::Read { path: dir.to_path_buf(), source })?;
    let mut out = Vec::new();
    for e in rd {
        let e = e.map_err(|source| DiscoverError::Read { path: dir.to_path_buf(), source })?;
        match e.file_name().into_string() {
            Ok(name) if !name.starts_with('.') => out.push((name, e.path())),
            Ok(_) => {}
            Err(name) => tracing::warn!("skipping {}: the name is not UTF-8", Path::new(&name).display()),
        }
    }
    out.sort();
    Ok(out)
}

/// Every job of the corpus in `dir`, sorted by name.
pub fn discover(dir: &Path) -> Result<Vec<Job>, DiscoverError> {
    if !dir.is_dir() {
        return Err(DiscoverError::NotADirectory(dir.to_path_buf()));
    }
    let mut jobs = Vec::new();
    for (driver, driver_dir) in read_dir_sorted(dir)? {
        if !driver_dir.is_dir() {
            continue;
        }
        let arches: Vec<&str> =
            ARCHES.iter().copied().filter(|a| driver_dir.join(format!("{driver}.{a}.sys")).is_file()).collect();
        if arches.is_empty() {
            continue;
        }
        let mut scenarios: Vec<(String, Option<PathBuf>)> = Vec::new();
        for (file, path) in read_dir_sorted(&driver_dir)? {
            if let Some(stem) = file.strip_suffix(".toml") {
                if !stem.is_empty() && path.is_file() {
                    scenarios.push((stem.to_string(), Some(path)));
                }
            }
        }
        if scenarios.is_empty() {
            scenarios.push((DEFAULT_SCENARIO.to_string(), None));
        }
        for (scenario, file) in &scenarios {
            for arch in &arches {
                jobs.push(Job::new(&driver_dir, &driver, scenario, arch, file.clone()));
            }
        }
    }
    if jobs.is_empty() {
        return Err(DiscoverError::Empty(dir.to_path_buf()));
    }
    jobs.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(jobs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_drivers_arches_and_scenarios() {
        let dir = std::env::temp_dir().join(format!("portcullis-jobs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (p, body) in [
            ("alpha/alpha.x64.sys", ""),
            ("alpha/alpha.x86.sys", ""),
            ("beta/beta.x64.sys", ""),
            ("beta/beta.x86.sys", ""),
            ("beta/ioctls.toml", ""),
            ("beta/crash.toml", ""),
            ("gamma/gamma.x86.sys", ""),
            ("gamma/default.toml", ""),
            ("include/corpus.h", ""),
            ("notes.txt", ""),
        ] {
            let p = dir.join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, body).unwrap();
        }
        let jobs = discover(&dir).unwrap();
        let names: Vec<&str> = jobs.iter().map(|j| j.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "alpha/default/x64",
                "alpha/default/x86",
                "beta/crash/x64",
                "beta/crash/x86",
                "beta/ioctls/x64",
                "beta/ioctls/x86",
                "gamma/default/x86"
            ]
        );
        assert_eq!(jobs[0].scenario_file, None);
        assert_eq!(jobs[0].sys, dir.join("alpha/alpha.x64.sys"));
        assert_eq!(jobs[4].scenario_file, Some(dir.join("beta/ioctls.toml")));
        assert_eq!(jobs[6].scenario_file, Some(dir.join("gamma/default.toml")));
        assert_eq!(jobs[1].golden, dir.join("alpha/golden/default.x86.jsonl"));
        assert_eq!(jobs[1].golden_display(), "alpha/golden/default.x86.jsonl");
        assert!(matches!(discover(&dir.join("include")), Err(DiscoverError::Empty(_))));
        assert!(matches!(discover(&dir.join("nothing")), Err(DiscoverError::NotADirectory(_))));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
