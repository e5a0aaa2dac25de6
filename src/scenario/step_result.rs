//! What became of each scenario step: the report's `steps[]`.

use serde::Serialize;

/// How one step went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepOutcome {
    /// It ran and every expectation it states held.
    Passed,
    /// It ran and an expectation did not hold (`unmet` says which).
    Failed,
    /// It could not be carried out: the run stopped in it (a fault, a limit) or the sandbox
    /// refused it (`reason` says why).
    Error,
    /// An earlier step ended the run (`reason` says which and how).
    NotRun,
}

impl StepOutcome {
    /// Its name in reports (as serialised).
    pub fn name(self) -> &'static str {
        match self {
            StepOutcome::Passed => "passed",
            StepOutcome::Failed => "failed",
            StepOutcome::Error => "error",
            StepOutcome::NotRun => "not_run",
        }
    }
}

/// One step of the scenario and how it went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StepResult {
    /// 1-based position in the file.
    pub step: usize,
    /// Its line in the file.
    pub line: usize,
    /// `open`, `ioctl`, `expect_port`, ...
    pub action: &'static str,
    pub outcome: StepOutcome,
    /// The expectations that did not hold.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unmet: Vec<String>,
    pub reason: Option<String>,
}

/// "17 of 23 steps passed, 2 failed, 4 not run (the run stopped at step 18: ...)".
pub fn summary(steps: &[StepResult]) -> Option<String> {
    if steps.is_empty() {
        return None;
    }
    let count = |o: StepOutcome| steps.iter().filter(|s| s.outcome == o).count();
    let mut text = format!("{} of {} steps passed", count(StepOutcome::Passed), steps.len());
    for (o, name) in
        [(StepOutcome::Failed, "failed"), (StepOutcome::Error, "in error"), (StepOutcome::NotRun, "not run")]
    {
        let n = count(o);
        if n > 0 {
            text += &format!(", {n} {name}");
        }
    }
    if let Some(stop) = steps.iter().find(|s| s.outcome == StepOutcome::Error) {
        text += &format!(" (step {}: {})", stop.step, stop.reason.as_deref().unwrap_or("-"));
    }
    Some(text)
}
