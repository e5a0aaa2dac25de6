//! `portcullis run DRIVER.sys [--scenario FILE.toml]`.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use portcullis::hle::kernel::MissingImports;
use portcullis::{Report, RunError, Sandbox};

use super::{error, EXIT_FAILED, EXIT_LIMIT, EXIT_OK, EXIT_USAGE};

#[derive(Args)]
pub struct RunArgs {
    /// The driver image (.sys).
    pub driver: PathBuf,
    /// Output format of the report.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Stream every event as JSON Lines to FILE while the run goes.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// Stop after N guest instructions (counted per basic block).
    #[arg(long, value_name = "N")]
    pub max_insns: Option<u64>,
    /// Stop after this much wall time (e.g. 500ms, 10s).
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub timeout: Option<Duration>,
    /// What to do with imports the kernel does not implement.
    #[arg(long, value_enum, default_value = "error")]
    pub missing_imports: Missing,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Missing {
    Error,
    Stub,
}

pub fn main(args: RunArgs, verbose: u8, quiet: bool) -> i32 {
    let mut builder = Sandbox::builder().missing_imports(match args.missing_imports {
        Missing::Error => MissingImports::Error,
        Missing::Stub => MissingImports::Stub,
    });
    if let Some(n) = args.max_insns {
        builder = builder.max_instructions(n);
    }
    if let Some(t) = args.timeout {
        builder = builder.timeout(t);
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
    default_scenario(&mut sb);
    let report = sb.report();
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&report).expect("the report serialises")),
        Format::Text if !quiet => print!("{}", report.render_text(verbose > 0)),
        Format::Text => {}
    }
    exit_code(&report)
}

/// Without a scenario: DriverEntry, then open and close every symbolic link the driver
/// created, then unload.
fn default_scenario(sb: &mut Sandbox) {
    match sb.driver_entry() {
        Ok(st) if st.is_success() => {}
        _ => return,
    }
    for (link, _) in sb.symbolic_links() {
        let name = link.rsplit('\\').next().unwrap_or(&link).to_string();
        match sb.open(&format!("\\\\.\\{name}")) {
            Ok(h) => {
                if sb.close(h).is_err() {
                    return;
                }
            }
            Err(RunError::OpenFailed(_)) => {}
            Err(_) => return,
        }
    }
    let _ = sb.unload();
}

/// 0: all as expected; 1: fault, bugcheck or failed expectation; 3: a limit ended the run.
pub fn exit_code(report: &Report) -> i32 {
    match report.outcome.as_str() {
        "ok" => {
            let entry_failed = report.entry_points.iter().any(|e| {
                e.kind == "DriverEntry"
                    && e.status.as_deref().is_some_and(|s| s.starts_with("0xC") || s.starts_with("0x8"))
            });
            if entry_failed {
                EXIT_FAILED
            } else {
                EXIT_OK
            }
        }
        "limit" => EXIT_LIMIT,
        _ => EXIT_FAILED,
    }
}
