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
    /// The drivers the program started and stopped through the service control manager
    /// (from entry `from` of its log on), as entry points: DriverEntry and DriverUnload ran
    /// during the program. The sandbox's own driver started so is started as by
    /// [`Sandbox::driver_entry`].
    fn record_service_events(&mut self, from: usize) {
        let events: Vec<_> =
            portcullis_win32::state_ref(&self.k).map(|s| s.services.log[from..].to_vec()).unwrap_or_default();
        for ev in events {
            let call = if ev.action == "start" { "StartService" } else { "ControlService(SERVICE_CONTROL_STOP)" };
            // A start that found no image to load ran nothing: the call itself is the entry.
            let kind = match (ev.action, ev.driver) {
                ("start", Some(_)) => "DriverEntry",
                ("start", None) => "StartService",
                _ => "DriverUnload",
            };
            let mut e = EntryPointRecord {
                kind: kind.into(),
                target: Some(format!("{} ({call} by pid {})", ev.service, ev.pid)),
                outcome: "returned".into(),
                ..Default::default()
            };
            set_status(&mut e, ev.status);
            if ev.action == "start" && ev.driver == Some(self.driver) && ev.status.is_success() {
                self.started = true;
            }
            self.record(e, &Ok(()));
        }
    }

    /// Puts the file `file` (a DLL the program `program` loads) in the program's directory
    /// on the C: volume, where its imports and LoadLibrary look first. False for a name
    /// the volume refuses.
    pub fn add_program_file(&mut self, program: &str, file: &str, bytes: Vec<u8>) -> bool {
        let dir = portcullis_win32::module::program_path(program);
        let dir = dir.rsplit_once('\\').map_or(dir.as_str(), |(d, _)| d);
        portcullis_hle::fs::seed_file(&mut self.k, &format!("{dir}\\{file}"), bytes)
    }

    /// What the program run last wrote to its console, also when it did not run to its end
    /// (the run stopped while it ran): its pid and the bytes.
    pub fn last_program_console(&self) -> Option<(u64, Vec<u8>)> {
        // The last program the host started (those it started write to its console).
        let p = portcullis_win32::state_ref(&self.k)?.processes.iter().rev().find(|p| !p.shares_console())?;
        Some((p.pid, p.console.clone()))
    }

    /// The processes the program started (CreateProcess: those made after the first `made`),
    /// each an entry point of the report with how it ended.
    fn record_children(&mut self, made: usize) {
        let children: Vec<_> = portcullis_win32::state_ref(&self.k)
            .map(|s| s.processes.iter().skip(made).cloned().collect())
            .unwrap_or_default();
        for p in children {
            let mut e = EntryPointRecord {
                kind: "process".into(),
                target: Some(format!("{} (pid {}, started by pid {})", p.name, p.pid, p.parent.unwrap_or(0))),
                outcome: "returned".into(),
                ..Default::default()
            };
            if let Some(x) = &p.exited {
                set_status(&mut e, NtStatus(x.code));
                if let Some((pc, reason)) = &x.exception {
                    e.outcome = "exception".into();
                    e.detail = Some(format!("at {pc:#x}: {reason}"));
                }
            }
            self.record(e, &Ok(()));
        }
    }

    /// Loads the program `name` (its file's bytes) as a new user process with the command
    /// line `name args...` and runs it until
    /// it ends. A program that faults ends with the exception code; the run goes on. A stop
    /// of the whole run (a bugcheck in a driver it called, a limit) is the error.
    pub fn run_program(&mut self, name: &str, bytes: &[u8], args: &[String]) -> Result<ProgramRun, RunError> {
        self.run_program_with_input(name, bytes, args, &[])
    }

    /// [`Sandbox::run_program`], the program's standard input being `stdin` (what a user
    /// would type at its console; empty: end of input at once).
    pub fn run_program_with_input(
        &mut self,
        name: &str,
        bytes: &[u8],
        args: &[String],
        stdin: &[u8],
    ) -> Result<ProgramRun, RunError> {
        self.alive()?;
        // The program's file is on the volume where it runs from (GetModuleFileName names it).
        portcullis_hle::fs::seed_file(&mut self.k, &portcullis_win32::module::program_path(name), bytes.to_vec());
        let pid = portcullis_win32::load(&mut self.k, name, bytes, args)
            .map_err(|e| RunError::Machine(format!("cannot load {name}: {e}")))?;
        portcullis_win32::kernel32::console::give_input(&mut self.k, pid, stdin);
        let logged = portcullis_win32::state_ref(&self.k).map_or(0, |s| s.services.log.len());
        let made = portcullis_win32::state_ref(&self.k).map_or(0, |s| s.processes.len());
        let r = portcullis_win32::run(&mut self.k, pid).map_err(RunError::from);
        self.record_service_events(logged);
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
        self.record_children(made);
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
