//! User programs in a scenario: a `program` step, or `[[programs]]` run after the steps.
//!
//! ```toml
//! [[steps]]
//! program = "inpout_client.{arch}.exe"   # beside the scenario file; {arch} is x86 or x64
//! dlls = ["inpout.{arch}.dll"]            # put beside the program on C:
//! args = ["-v"]
//! stdin = "1\n"
//! expect_exit = 0                         # the default
//! expect_console = "0x378 reads back 240" # text its console output must hold
//!
//! [[programs]]                            # the same fields, `image` for the file
//! image = "giveio_client.{arch}.exe"
//! ```
//!
//! The files are read with the scenario (a confined corpus worker opens no file later), for
//! both architectures where the name has `{arch}`; a run uses those of its driver's
//! architecture, so one scenario serves both builds of a corpus directory.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::format::StatusValue;
use crate::report::status_text;
use crate::sandbox::{RunError, Sandbox};

/// `[[programs]]` as written.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProgramSpec {
    pub(crate) image: String,
    #[serde(default)]
    pub(crate) args: Vec<String>,
    pub(crate) stdin: Option<String>,
    #[serde(default)]
    pub(crate) dlls: Vec<String>,
    pub(crate) expect_exit: Option<StatusValue>,
    pub(crate) expect_console: Option<String>,
}

/// A program to run, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Program {
    /// The image's path relative to the scenario's directory, `{arch}` not yet replaced.
    pub(crate) image: String,
    pub(crate) args: Vec<String>,
    pub(crate) stdin: Vec<u8>,
    pub(crate) dlls: Vec<String>,
    pub(crate) expect_exit: u32,
    pub(crate) expect_console: Option<String>,
    /// The files read, by name with `{arch}` replaced: their bytes, or why they could not be.
    files: BTreeMap<String, Result<Vec<u8>, String>>,
}

impl Program {
    pub(crate) fn new(
        base: &Path,
        image: String,
        args: Vec<String>,
        stdin: Option<String>,
        dlls: Vec<String>,
        expect_exit: Option<u32>,
        expect_console: Option<String>,
    ) -> Result<Program, String> {
        let plain = |p: &str| !p.is_empty() && !Path::new(p).is_absolute() && !p.split(['/', '\\']).any(|c| c == "..");
        if let Some(bad) = std::iter::once(&image).chain(&dlls).find(|p| !plain(p)) {
            return Err(format!("`{bad}`: a file beside the scenario (no absolute path, no `..`)"));
        }
        if let Some(bad) = dlls.iter().find(|d| file_name(d).is_none_or(|n| !portcullis_hle::fs::valid_name(n))) {
            return Err(format!("dll `{bad}`: not a file name the C: volume takes"));
        }
        let mut files = BTreeMap::new();
        for template in std::iter::once(&image).chain(&dlls) {
            for arch in ["x86", "x64"] {
                let name = template.replace("{arch}", arch);
                let at = base.join(&name);
                let read = std::fs::read(&at).map_err(|e| format!("cannot read {}: {e}", at.display()));
                files.insert(name, read);
            }
        }
        Ok(Program {
            image,
            args,
            stdin: stdin.unwrap_or_default().into_bytes(),
            dlls,
            expect_exit: expect_exit.unwrap_or(0),
            expect_console,
            files,
        })
    }

    /// The bytes of file `template` for `arch`.
    pub(crate) fn file(&self, template: &str, arch: &str) -> Result<&[u8], String> {
        let name = template.replace("{arch}", arch);
        match self.files.get(&name) {
            Some(Ok(b)) => Ok(b),
            Some(Err(e)) => Err(e.clone()),
            None => Err(format!("{name} was not read with the scenario")),
        }
    }

    pub(crate) fn from_spec(base: &Path, s: &ProgramSpec) -> Result<Program, String> {
        Program::new(
            base,
            s.image.clone(),
            s.args.clone(),
            s.stdin.clone(),
            s.dlls.clone(),
            s.expect_exit.map(|v| v.0),
            s.expect_console.clone(),
        )
    }
}

fn file_name(p: &str) -> Option<&str> {
    p.rsplit(['/', '\\']).next().filter(|n| !n.is_empty())
}

/// Runs `p` in the sandbox: its unmet expectations, or the error that stopped the run.
pub(crate) fn run(sb: &mut Sandbox, p: &Program) -> Result<Vec<String>, RunError> {
    let arch = sb.kernel().arch().name();
    let image = match p.file(&p.image, arch) {
        Ok(b) => b.to_vec(),
        Err(e) => return Ok(vec![format!("the program: {e}")]),
    };
    let name = file_name(&p.image.replace("{arch}", arch)).unwrap_or("program.exe").to_string();
    for dll in &p.dlls {
        let bytes = match p.file(dll, arch) {
            Ok(b) => b.to_vec(),
            Err(e) => return Ok(vec![format!("the library: {e}")]),
        };
        let file = file_name(&dll.replace("{arch}", arch)).unwrap_or_default().to_string();
        sb.add_program_file(&name, &file, bytes);
    }
    let run = match sb.run_program_with_input(&name, &image, &p.args, &p.stdin) {
        Ok(r) => r,
        // A program the loader refuses is the step's failure; the machine goes on.
        Err(RunError::Machine(m)) if m.starts_with("cannot load") => return Ok(vec![m]),
        Err(e) => return Err(e),
    };
    let mut unmet = Vec::new();
    if run.exit_code != p.expect_exit {
        let how = run.exception.as_ref().map(|(pc, why)| format!(" (exception at {pc}: {why})")).unwrap_or_default();
        unmet.push(format!(
            "{name} exited with {}{how}, expected {}",
            status_text(run.exit_code),
            status_text(p.expect_exit)
        ));
    }
    if let Some(want) = &p.expect_console {
        let console = String::from_utf8_lossy(&run.console);
        if !console.contains(want.as_str()) {
            unmet.push(format!("{name}'s console output does not hold {want:?}: {console:?}"));
        }
    }
    Ok(unmet)
}
