//! How a run ended: the one vocabulary of the report, the scenario's `expect_outcome`, the
//! corpus runner and the exit codes.

use serde::{Deserialize, Serialize};

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Everything ran and every expectation held.
    Ok,
    /// The guest faulted and nothing handled it.
    Fault,
    /// The kernel stopped the system (KeBugCheckEx or a bugcheck Windows would raise).
    Bugcheck,
    /// Every thread waits and nothing can wake one.
    Deadlock,
    /// A budget (instructions, time, memory, trace size) ended the run.
    Limit,
    /// The guest halted with interrupts disabled.
    Halted,
    /// A device reset the machine (0xCF9, 0x92, the keyboard controller).
    Reset,
    /// The machine or the host failed (a request the sandbox refused, an emulator error).
    Error,
    /// The run ended normally but a scenario expectation did not hold.
    FailedExpectation,
    /// The driver was refused at load.
    LoadError,
    /// A signal (SIGINT, SIGTERM) stopped the run.
    Interrupted,
    /// The driver called a routine the kernel does not implement (a KMDF function-table
    /// entry, say): named in the entry point's `detail`.
    Unimplemented,
}

impl Outcome {
    pub const ALL: [Outcome; 12] = [
        Outcome::Ok,
        Outcome::Fault,
        Outcome::Bugcheck,
        Outcome::Deadlock,
        Outcome::Limit,
        Outcome::Halted,
        Outcome::Reset,
        Outcome::Error,
        Outcome::FailedExpectation,
        Outcome::LoadError,
        Outcome::Interrupted,
        Outcome::Unimplemented,
    ];

    /// Its name in reports and scenarios.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Fault => "fault",
            Outcome::Bugcheck => "bugcheck",
            Outcome::Deadlock => "deadlock",
            Outcome::Limit => "limit",
            Outcome::Halted => "halted",
            Outcome::Reset => "reset",
            Outcome::Error => "error",
            Outcome::FailedExpectation => "failed_expectation",
            Outcome::LoadError => "load_error",
            Outcome::Interrupted => "interrupted",
            Outcome::Unimplemented => "unimplemented",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.name() == s)
    }

    /// The endings a scenario may state with `expect_outcome` (the others are never what a
    /// driver is expected to do; `unimplemented` is, where a test pins a named refusal).
    pub fn expectable(self) -> bool {
        matches!(
            self,
            Outcome::Ok
                | Outcome::Fault
                | Outcome::Bugcheck
                | Outcome::Deadlock
                | Outcome::Limit
                | Outcome::Halted
                | Outcome::Reset
                | Outcome::Unimplemented
        )
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.name()), Some(o));
            assert_eq!(serde_json::to_value(o).unwrap(), serde_json::json!(o.name()));
        }
        assert_eq!(Outcome::parse("nope"), None);
    }
}
