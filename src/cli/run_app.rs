//! `portcullis run-app APP.exe [ARGS...] --driver X.sys [--start] [--stdin FILE]`: a user
//! program against a driver (portcullis-win32), FILE's bytes its standard input. The driver
//! is installed (its image loaded, nothing run); `--start` runs its DriverEntry before the program, as a started service. Prints the
//! program's console output, its exit code, and the port accesses, each attributed to the
//! program (with its pid) or to the driver; then the driver's usual report. `--vcd`,
//! `--timeline`, `--wav` and `--serial-out` write what both did on the bus, as `run` does.
//!
//! Exit codes: 0 the program exited with 0 and nothing faulted; 1 it exited with another
//! code or an exception, or the driver faulted or bugchecked; 2 a usage or load error; 3 a
//! limit ended the run.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use portcullis::limits::{Budget, DEFAULT_MAX_INSNS, DEFAULT_TIMEOUT};
use portcullis::outcome::Outcome;
use portcullis::record::PortRow;
use portcullis::sandbox::ProgramRun;
use portcullis::Sandbox;
use serde::Serialize;

use super::outputs::{OutputArgs, Outputs};
use super::run::{exit_code, Format};
use super::{error, EXIT_FAILED, EXIT_OK, EXIT_USAGE};

#[derive(Args)]
pub struct RunAppArgs {
    /// The program (a PE console .exe importing kernel32, advapi32 and DLLs given with
    /// --dll).
    pub app: PathBuf,
    /// Its arguments (its command line is the program's file name, then these; after `--`
    /// for arguments that start with a dash).
    pub args: Vec<String>,
    /// The driver installed for it (.sys).
    #[arg(long, value_name = "X.sys")]
    pub driver: PathBuf,
    /// Start the driver (run DriverEntry) before the program.
    #[arg(long)]
    pub start: bool,
    /// A DLL the program uses, put in its directory (repeatable).
    #[arg(long, value_name = "X.dll")]
    pub dll: Vec<PathBuf>,
    /// The program's standard input: what it reads from its console (ReadFile, ReadConsole),
    /// one line per read; none: end of input at once.
    #[arg(long, value_name = "FILE")]
    pub stdin: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Stream every event as JSON Lines to FILE.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// Stop after N guest instructions; 0 or none: no limit [default: 10000000].
    #[arg(long, value_name = "N")]
    pub max_insns: Option<Budget<u64>>,
    /// Stop after this much wall time; 0 or none: no limit [default: 60s].
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<Budget<Duration>>,
    #[command(flatten)]
    pub outputs: OutputArgs,
}

/// A port access row with who made it.
#[derive(Serialize)]
struct AttributedPort<'a> {
    #[serde(flatten)]
    row: &'a PortRow,
    /// "pid N" (the program) or the driver's name.
    by: String,
}

#[derive(Serialize)]
struct AppReport<'a> {
    program: Option<&'a ProgramRun>,
    /// Why the program did not run to its end, when it did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// What the program wrote to its console before the run stopped, when it did not run
    /// to its end.
    #[serde(skip_serializing_if = "Option::is_none")]
    console_until_stop: Option<String>,
    port_io: Vec<AttributedPort<'a>>,
    report: &'a portcullis::Report,
}

pub fn main(args: RunAppArgs, verbose: u8, quiet: bool) -> i32 {
    let bytes = match std::fs::read(&args.app) {
        Ok(b) => b,
        Err(e) => {
            error(format!("cannot read {}: {e}", args.app.display()));
            return EXIT_USAGE;
        }
    };
    let stdin = match &args.stdin {
        Some(path) => match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                error(format!("cannot read {}: {e}", path.display()));
                return EXIT_USAGE;
            }
        },
        None => Vec::new(),
    };
    let name = args.app.file_name().and_then(|n| n.to_str()).unwrap_or("program.exe").to_string();
    let mut builder = Sandbox::builder()
        .max_instructions(DEFAULT_MAX_INSNS)
        .timeout(DEFAULT_TIMEOUT)
        .timed_ports(args.outputs.timed());
    if let Some(n) = args.max_insns {
        builder = builder.max_instructions(n.or_zero());
    }
    if let Some(t) = args.timeout {
        builder = builder.timeout(t.or_zero());
    }
    if let Some(path) = &args.trace {
        match std::fs::File::create(path) {
            Ok(f) => builder = builder.trace(Box::new(std::io::BufWriter::new(f))),
            Err(e) => {
                error(format!("cannot create {}: {e}", path.display()));
                return EXIT_USAGE;
            }
        }
    }
    let mut sb = match builder.load_driver(&args.driver) {
        Ok(sb) => sb,
        Err(e) => {
            error(format!("{}: {e}", args.driver.display()));
            return EXIT_USAGE;
        }
    };
    for dll in &args.dll {
        let file = dll.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let placed = std::fs::read(dll).map_err(|e| e.to_string()).and_then(|bytes| {
            sb.add_program_file(&name, &file, bytes)
                .then_some(())
                .ok_or_else(|| "not a file name the volume takes".into())
        });
        if let Err(e) = placed {
            error(format!("{}: {e}", dll.display()));
            return EXIT_USAGE;
        }
    }
    super::signals::install();
    let mut outputs = match Outputs::open(&args.outputs) {
        Ok(o) => o,
        Err(e) => {
            error(e);
            return EXIT_USAGE;
        }
    };
    let started = if args.start { sb.driver_entry().map(|s| s.is_success()) } else { Ok(true) };
    let run = match started {
        Ok(true) => sb.run_program_with_input(&name, &bytes, &args.args, &stdin),
        Ok(false) => Err(portcullis::RunError::Machine("DriverEntry failed; the program was not run".into())),
        Err(e) => Err(e),
    };
    let report = sb.report();
    if let Err(e) = outputs.write(&mut sb) {
        error(e);
        return EXIT_USAGE;
    }
    let image = run.as_ref().ok().map(|r| r.image);
    let pid = run.as_ref().ok().map(|r| r.pid);
    let port_io = report
        .port_io
        .iter()
        .map(|row| {
            let pc = u64::from_str_radix(row.pc.trim_start_matches("0x"), 16).unwrap_or(0);
            let by = match (image, pid) {
                (Some((lo, hi)), Some(pid)) if (lo..hi).contains(&pc) => format!("pid {pid}"),
                _ => sb
                    .kernel()
                    .ext()
                    .driver_at(pc)
                    .map_or("kernel".to_string(), |d| sb.kernel().ext().drivers()[d].name.clone()),
            };
            AttributedPort { row, by }
        })
        .collect::<Vec<_>>();
    let load_error = matches!(&run, Err(portcullis::RunError::Machine(m)) if m.starts_with("cannot load"));
    let app = AppReport {
        program: run.as_ref().ok(),
        error: run.as_ref().err().map(|e| e.to_string()),
        console_until_stop: run
            .as_ref()
            .err()
            .and_then(|_| sb.last_program_console())
            .filter(|(p, _)| Some(*p) != pid)
            .map(|(_, bytes)| String::from_utf8_lossy(&bytes).into_owned()),
        port_io,
        report: &report,
    };
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&app).expect("the report serialises")),
        Format::Text if !quiet => print!("{}", render_text(&app, verbose > 0)),
        Format::Text => {}
    }
    if load_error {
        if let Err(e) = &run {
            error(e);
        }
        return EXIT_USAGE;
    }
    match (&run, report.outcome) {
        (Ok(r), Outcome::Ok) if r.exit_code == 0 => EXIT_OK,
        (Ok(_), Outcome::Ok) => EXIT_FAILED,
        _ => exit_code(&report),
    }
}

fn render_text(app: &AppReport, verbose: bool) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    match app.program {
        Some(p) => {
            let name = portcullis::hle::status_names::name(p.exit_code).map(|n| format!(" ({n})")).unwrap_or_default();
            let _ = writeln!(out, "program {} (pid {})", p.name, p.pid);
            let _ = writeln!(out, "  exit code              {:#010x}{name}", p.exit_code);
            if let Some((pc, reason)) = &p.exception {
                let _ = writeln!(out, "  exception at           {pc}: {reason}");
            }
            let _ = writeln!(out, "\nconsole output");
            for line in String::from_utf8_lossy(&p.console).lines() {
                let _ = writeln!(out, "  {line}");
            }
        }
        None => {
            let _ = writeln!(out, "program did not run to its end: {}", app.error.as_deref().unwrap_or("?"));
            if let Some(console) = &app.console_until_stop {
                let _ = writeln!(out, "\nconsole output, until the run stopped");
                for line in console.lines() {
                    let _ = writeln!(out, "  {line}");
                }
            }
        }
    }
    let total: u64 = app.port_io.iter().map(|p| p.row.count).sum();
    let _ = writeln!(out, "\nport I/O by the program and the driver ({total} accesses)");
    let _ = writeln!(out, "  port     width dir  value          count  first pc           outcome     by");
    for p in &app.port_io {
        let r = p.row;
        let _ = writeln!(
            out,
            "  {:#06x}   {:<5} {:<4} {:<14} {:>5}  {:<18} {:<11} {}",
            r.port,
            r.width,
            r.dir,
            format!("{:#0w$x}", r.value, w = 2 + 2 * r.width as usize),
            r.count,
            r.pc,
            serde_json::to_value(r.outcome).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
            p.by
        );
    }
    let _ = writeln!(out, "\n-- the driver's report --");
    out.push_str(&app.report.render_text(verbose));
    out
}
