//! The worker's side of a survey: one driver, the default scenario, one row.

use portcullis_hle::kernel::MissingImports;

use super::row::{SurveyRequest, SurveyRow};
use crate::report::Report;
use crate::scenario::Scenario;
use crate::Sandbox;

/// Loads the driver and runs the default scenario (DriverEntry, open and close every
/// symbolic link it creates, unload) as `portcullis run` would; the row says how it went.
pub fn examine(req: &SurveyRequest, confine: Option<&crate::corpus::worker::Confine>) -> SurveyRow {
    let scenario = Scenario::default_scenario();
    let policy = if req.stub_missing_imports { MissingImports::Stub } else { MissingImports::Error };
    let builder = Sandbox::builder()
        .missing_imports(policy)
        .max_instructions(req.max_insns.or_zero())
        .timeout(req.timeout.or_zero());
    let builder = match scenario.configure(builder) {
        Ok(b) => b,
        Err(e) => return SurveyRow::of_error(&req.file, format!("scenario: {e}")),
    };
    let limits = builder.configured_limits().clone();
    let mut sb = match builder.load_driver(&req.path) {
        Ok(sb) => sb,
        Err(e) => return SurveyRow::of_report(&req.file, &Report::load_failed(&req.path, &limits, &e), None, None),
    };
    if let Some(c) = confine {
        if let Err(e) = c.apply(limits.memory_bytes) {
            return SurveyRow::of_error(&req.file, e);
        }
    }
    scenario.run(&mut sb);
    let report = sb.report();
    let instructions = limits.max_instructions.map(|_| sb.kernel().instructions());
    SurveyRow::of_report(&req.file, &report, sb.stopped(), instructions)
}
