//! `portcullis survey PATH...`: triage of a population of drivers.
//!
//! Every `.sys` under the paths ([`discover`]) runs in a worker process of the corpus pool
//! ([`crate::corpus::pool`]) with the default scenario ([`examine`]), under the default or
//! given limits; a crash or hang is that driver's row. The rows, the missing imports ranked
//! by the drivers they block and a summary line make the survey ([`summary`]), printed as
//! text or as one JSON document ([`cli`]). docs/survey.md describes it for users.

mod cli;
pub mod discover;
mod examine;
pub mod row;
pub mod summary;

pub use cli::{main, SurveyArgs};
pub use examine::examine;
pub use row::{SurveyRequest, SurveyRow};
pub use summary::Survey;
