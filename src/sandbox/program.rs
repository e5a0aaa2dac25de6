//! Running a user program against the loaded driver (portcullis-win32): the program's own
//! process, its console output, its exit status, in the report as an entry point.

use serde::Serialize;

use super::{set_status, RunError, Sandbox};
use crate::record::EntryPointRecord;
use portcullis_hle::types::NtStatus;

/// How a user program's run went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProgramRun {
    pub name: String,
    pub pid: u64,
    /// Its exit status: ExitProcess's code, or the exception that ended it.
    pub exit_code: u32,
    /// What it wrote to its console.
    #[serde(serialize_with = "lossy")]
    pub console: Vec<u8>,
    /// The exception that ended it: address and what the machine saw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception: Option<(String, String)>,
    /// Where its image lies, to tell its code from a driver's.
    pub image: (u64, u64),
}

fn lossy<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&String::from_utf8_lossy(bytes))
}

impl Sandbox {
    /// Loads the program `name` (its file's bytes) as a new user process with the command
    /// line `name args...` and runs it until
    /// it ends. A program that faults ends with the exception code; the run goes on. A stop
    /// of the whole run (a bugcheck in a driver it called, a limit) is the error.
    pub fn run_program(&mut self, name: &str, bytes: &[u8], args: &[String]) -> Result<ProgramRun, RunError> {
        self.alive()?;
        let pid = portcullis_win32::load(&mut self.k, name, bytes, args)
            .map_err(|e| RunError::Machine(format!("cannot load {name}: {e}")))?;
        let r = portcullis_win32::run(&mut self.k, pid).map_err(RunError::from);
        let mut e = EntryPointRecord {
            kind: "process".into(),
            target: Some(format!("{name} (pid {pid})")),
            outcome: "returned".into(),
            ..Default::default()
        };
        if let Ok(x) = &r {
            set_status(&mut e, NtStatus(x.code));
            if let Some((pc, reason)) = &x.exception {
                e.outcome = "exception".into();
                e.detail = Some(format!("at {pc:#x}: {reason}"));
            }
        }
        self.record(e, &r.as_ref().map(|_| ()).map_err(Clone::clone));
        let exited = r?;
        let p = portcullis_win32::state_ref(&self.k)
            .and_then(|s| s.processes.iter().find(|p| p.pid == pid))
            .ok_or_else(|| RunError::Machine(format!("process {pid} vanished")))?;
        Ok(ProgramRun {
            name: name.to_string(),
            pid,
            exit_code: exited.code,
            console: p.console.clone(),
            exception: exited.exception.map(|(pc, reason)| (format!("{pc:#x}"), reason)),
            image: (p.image_base, p.image_base + p.image_size),
        })
    }
}
