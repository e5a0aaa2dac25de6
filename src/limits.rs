//! The limits every command runs under unless told otherwise, and limits as the command line
//! gives them (`0` or `none`: no limit).
//!
//! The instruction budget is the primary default: it is deterministic (a run it ends ends at
//! the same block, with the same trace, every time). The wall-time budget is a backstop for
//! what the instruction budget does not count (host-side loops on the guest's behalf, very
//! slow guest code); a run it ends is not repeatable. Figures behind the values: README,
//! "Limits".

use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Guest instructions a run may execute (`run`, `survey`, `corpus run`). Of 118 real drivers
/// run with stubs for their missing imports, all but one return from DriverEntry (or fault)
/// within 1.5 M instructions; the slowest guest loop measured (the other one) runs ~13 M
/// instructions/s, so a driver that never stops is ended in under a second.
pub const DEFAULT_MAX_INSNS: u64 = 10_000_000;

/// Wall time a `run` may take, far above what the instruction budget allows guest code.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Wall time a `corpus run` job may take inside the sandbox: half its `--job-timeout`
/// default, so a runaway job still ends with a trace and a report before its worker is killed.
pub const CORPUS_TIMEOUT: Duration = Duration::from_secs(30);

/// Wall time a driver may take in `survey` (its worker is killed at twice this plus a second).
pub const SURVEY_TIMEOUT: Duration = Duration::from_secs(10);

/// Bytes of trace a `run --trace` writes, as a corpus job may: past it the file ends with a
/// `trace_cut` line and the report says so.
pub const DEFAULT_MAX_TRACE: u64 = 64 << 20;

/// A size in bytes: `4096`, `64KiB`, `64MiB`, `1GiB`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bytes(pub u64);

impl FromStr for Bytes {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let (num, mult) = [("GiB", 1u64 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("B", 1)]
            .into_iter()
            .find_map(|(suffix, m)| s.strip_suffix(suffix).map(|n| (n.trim(), m)))
            .unwrap_or((s, 1));
        let digits: String = num.chars().filter(|c| *c != '_').collect();
        digits
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(mult))
            .map(Bytes)
            .ok_or_else(|| format!("`{s}`: expected a size like 4096, 64KiB, 64MiB or 1GiB"))
    }
}

impl FromStr for Budget<Bytes> {
    type Err = String;

    /// `none`, `0`, or a size.
    fn from_str(s: &str) -> Result<Self, String> {
        if s.eq_ignore_ascii_case("none") {
            return Ok(Budget(None));
        }
        match s.parse::<Bytes>()? {
            Bytes(0) => Ok(Budget(None)),
            b => Ok(Budget(Some(b))),
        }
    }
}

/// A limit from the command line: `Some(value)`, or `None` for `0`/`none` (no limit).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Budget<T>(pub Option<T>);

impl Budget<u64> {
    /// What [`crate::SandboxBuilder::max_instructions`] takes: 0 is no limit.
    pub fn or_zero(self) -> u64 {
        self.0.unwrap_or(0)
    }
}

impl Budget<Duration> {
    /// What [`crate::SandboxBuilder::timeout`] takes: zero is no limit.
    pub fn or_zero(self) -> Duration {
        self.0.unwrap_or(Duration::ZERO)
    }
}

impl std::fmt::Display for Budget<u64> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(n) => write!(f, "{n}"),
            None => f.write_str("none"),
        }
    }
}

impl std::fmt::Display for Budget<Duration> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(d) => write!(f, "{}", humantime::format_duration(d)),
            None => f.write_str("none"),
        }
    }
}

impl FromStr for Budget<u64> {
    type Err = String;

    /// `none`, `0`, `5000000` or `5_000_000`.
    fn from_str(s: &str) -> Result<Self, String> {
        if s.eq_ignore_ascii_case("none") {
            return Ok(Budget(None));
        }
        let digits: String = s.chars().filter(|c| *c != '_').collect();
        match digits.parse::<u64>() {
            Ok(0) => Ok(Budget(None)),
            Ok(n) => Ok(Budget(Some(n))),
            Err(_) => Err(format!("`{s}`: expected a number of instructions, or 0 or none for no limit")),
        }
    }
}

impl FromStr for Budget<Duration> {
    type Err = String;

    /// `none`, `0`, or a duration: `500ms`, `10s`, `2m`.
    fn from_str(s: &str) -> Result<Self, String> {
        if s.eq_ignore_ascii_case("none") || s == "0" {
            return Ok(Budget(None));
        }
        match humantime::parse_duration(s) {
            Ok(d) if d.is_zero() => Ok(Budget(None)),
            Ok(d) => Ok(Budget(Some(d))),
            Err(e) => Err(format!("`{s}`: {e} (expected e.g. 500ms, 10s, 2m, or 0 or none for no limit)")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_and_none_mean_no_limit() {
        assert_eq!("none".parse::<Budget<u64>>(), Ok(Budget(None)));
        assert_eq!("0".parse::<Budget<u64>>(), Ok(Budget(None)));
        assert_eq!("1_000".parse::<Budget<u64>>(), Ok(Budget(Some(1000))));
        assert!("lots".parse::<Budget<u64>>().is_err());
        assert_eq!("NONE".parse::<Budget<Duration>>(), Ok(Budget(None)));
        assert_eq!("0".parse::<Budget<Duration>>(), Ok(Budget(None)));
        assert_eq!("0s".parse::<Budget<Duration>>(), Ok(Budget(None)));
        assert_eq!("250ms".parse::<Budget<Duration>>(), Ok(Budget(Some(Duration::from_millis(250)))));
        assert!("soon".parse::<Budget<Duration>>().is_err());
        assert_eq!(Budget::<u64>(None).or_zero(), 0);
        assert_eq!(Budget(Some(10_000_000u64)).to_string(), "10000000");
        assert_eq!(Budget(Some(Duration::from_secs(30))).to_string(), "30s");
        assert_eq!(Budget::<Duration>(None).to_string(), "none");
        assert_eq!("64MiB".parse::<Budget<Bytes>>(), Ok(Budget(Some(Bytes(64 << 20)))));
        assert_eq!("4_096".parse::<Budget<Bytes>>(), Ok(Budget(Some(Bytes(4096)))));
        assert_eq!("0".parse::<Budget<Bytes>>(), Ok(Budget(None)));
        assert!("99999999999GiB".parse::<Budget<Bytes>>().is_err());
        assert!("big".parse::<Budget<Bytes>>().is_err());
    }
}
