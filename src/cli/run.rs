//! `portcullis run DRIVER.sys [--scenario FILE.toml]`.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use portcullis::confine::Confinement;
use portcullis::hle::kernel::MissingImports;
use portcullis::limits::{Budget, Bytes, DEFAULT_MAX_INSNS, DEFAULT_MAX_TRACE, DEFAULT_TIMEOUT};
use portcullis::outcome::Outcome;
use portcullis::scenario::Scenario;
use portcullis::{Report, Sandbox};

use super::outputs::{OutputArgs, Outputs};
use super::{error, EXIT_FAILED, EXIT_LIMIT, EXIT_OK, EXIT_USAGE};

#[derive(Args)]
pub struct RunArgs {
    /// The driver image (.sys).
    pub driver: PathBuf,
    /// A scenario file (TOML; see docs/scenario.md). Without one: open and close every
    /// symbolic link the driver creates, then unload.
    #[arg(long, value_name = "FILE.toml")]
    pub scenario: Option<PathBuf>,
    /// Output format of the report.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Stream every event as JSON Lines to FILE while the run goes.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// Cut the --trace file at this size (whole lines; e.g. 1GiB; 0 or none: no limit). The
    /// report says when it was cut [default: 64MiB].
    #[arg(long, value_name = "SIZE")]
    pub max_trace: Option<Budget<Bytes>>,
    /// Stop after N guest instructions (counted per basic block); 0 or none: no limit.
    /// Overrides the scenario's limit [default: the scenario's, else 10000000].
    #[arg(long, value_name = "N")]
    pub max_insns: Option<Budget<u64>>,
    /// Stop after this much wall time (e.g. 500ms, 10s); 0 or none: no limit. Overrides the
    /// scenario's limit [default: the scenario's, else 60s].
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<Budget<Duration>>,
    /// What to do with imports the kernel does not implement. Overrides the scenario's
    /// `missing_imports` [default: the scenario's, else error].
    #[arg(long, value_enum)]
    pub missing_imports: Option<Missing>,
    /// After the run, write the files the driver created or changed on its C: volume under
    /// DIR (at their paths on the volume).
    #[arg(long, value_name = "DIR")]
    pub dump_files: Option<PathBuf>,
    #[command(flatten)]
    pub outputs: OutputArgs,
    /// Forward these ports to the host's real ports (Linux, CAP_SYS_RAWIO): each range must
    /// have `policy = "forward"` in the scenario. E.g. 0x378-0x37a,0x278.
    #[arg(long, value_name = "RANGE[,RANGE...]")]
    pub forward_ports: Option<String>,
    /// With --forward-ports: allow ranges that could harm the host (PIC, PIT channel 0, DMA,
    /// PCI configuration, 0xCF9, 0x92, the keyboard controller).
    #[arg(long)]
    pub i_know: bool,
    /// With --forward-ports: touch nothing, show what would have been forwarded.
    #[arg(long)]
    pub forward_dry_run: bool,
    /// Confine this process once the driver is loaded and the output files are open: a
    /// seccomp filter then allows only what emulation needs (memory, the open descriptors,
    /// the clock, exit), and rlimits cap the address space and CPU time. Any other system
    /// call kills the process (SIGSYS). Not with --dump-files, which creates files after
    /// the run.
    #[arg(long)]
    pub sandbox: bool,
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
    if args.sandbox && args.dump_files.is_some() {
        error("--dump-files creates files after the run, which --sandbox forbids");
        return EXIT_USAGE;
    }
    let scenario = match &args.scenario {
        Some(path) => match Scenario::from_file(path) {
            Ok(s) => s,
            Err(e) => {
                error(e);
                return EXIT_USAGE;
            }
        },
        None => Scenario::default_scenario(),
    };
    let mut builder = Sandbox::builder()
        .missing_imports(MissingImports::Error)
        .max_instructions(DEFAULT_MAX_INSNS)
        .timeout(DEFAULT_TIMEOUT);
    // Forwarding first: the scenario's `forward` ranges not forwarded are then logged.
    let mut dry_run = None;
    match &args.forward_ports {
        Some(ranges) => {
            let request = match portcullis::forward::parse_ranges(ranges) {
                Ok(ranges) => {
                    portcullis::forward::ForwardRequest { ranges, i_know: args.i_know, dry_run: args.forward_dry_run }
                }
                Err(e) => {
                    error(e);
                    return EXIT_USAGE;
                }
            };
            match portcullis::forward::attach(builder, &request, &scenario.forward_ranges()) {
                Ok((b, log)) => {
                    builder = b;
                    dry_run = log;
                }
                Err(e) => {
                    error(e);
                    return EXIT_USAGE;
                }
            }
        }
        None if args.i_know || args.forward_dry_run => {
            error("--i-know and --forward-dry-run go with --forward-ports");
            return EXIT_USAGE;
        }
        None => {}
    }
    // The scenario's devices, policies and limits (over the defaults); the command line
    // overrides the scenario everywhere.
    builder = match scenario.configure(builder) {
        Ok(b) => b,
        Err(e) => {
            error(e);
            return EXIT_USAGE;
        }
    };
    if let Some(m) = args.missing_imports {
        builder = builder.missing_imports(match m {
            Missing::Error => MissingImports::Error,
            Missing::Stub => MissingImports::Stub,
        });
    }
    if let Some(n) = args.max_insns {
        builder = builder.max_instructions(n.or_zero());
    }
    if let Some(t) = args.timeout {
        builder = builder.timeout(t.or_zero());
    }
    if let Some(path) = &args.trace {
        match std::fs::File::create(path) {
            Ok(f) => {
                let limit = args.max_trace.map_or(Some(DEFAULT_MAX_TRACE), |b| b.0.map(|b| b.0));
                builder = builder.trace(Box::new(std::io::BufWriter::new(f))).trace_limit(limit);
            }
            Err(e) => {
                error(format!("cannot create {}: {e}", path.display()));
                return EXIT_USAGE;
            }
        }
    }
    builder = builder.timed_ports(args.outputs.timed());
    let limits = builder.configured_limits().clone();
    let mut sb = match builder.load_driver(&args.driver) {
        Ok(sb) => sb,
        Err(e) => {
            // JSON readers get a report of the same schema, with `load_error`.
            if args.format == Format::Json {
                let report = Report::load_failed(&args.driver, &limits, &e);
                println!("{}", serde_json::to_string_pretty(&report).expect("the report serialises"));
            }
            error(format!("{}: {e}", args.driver.display()));
            return EXIT_USAGE;
        }
    };
    super::signals::install();
    // Opened before the run, so that a confined process can still write them after it.
    let mut outputs = match Outputs::open(&args.outputs) {
        Ok(o) => o,
        Err(e) => {
            error(e);
            return EXIT_USAGE;
        }
    };
    if args.sandbox {
        let confinement = Confinement {
            address_space_growth: Some(limits.memory_bytes.saturating_add(portcullis::confine::HOST_HEADROOM)),
            cpu_time: limits.time.map(|t| t * 2 + Duration::from_secs(1)),
            file_size: None,
        };
        portcullis::emu::limits::start_watchdog();
        if let Err(e) = portcullis::confine::confine(&confinement) {
            error(format!("--sandbox: {e}"));
            return EXIT_USAGE;
        }
    }
    let outcome = scenario.run(&mut sb);
    if let Some(dir) = &args.dump_files {
        if let Err(e) = sb.dump_files(dir) {
            error(format!("cannot write the driver's files under {}: {e}", dir.display()));
            return EXIT_USAGE;
        }
    }
    let report = sb.report();
    let trace_error = report.trace_file.as_ref().and_then(|t| {
        if t.cut {
            eprintln!("warning: the trace was cut at {} bytes (--max-trace); the report has the whole run", t.bytes);
        }
        t.error.clone()
    });
    if let Err(e) = outputs.write(&mut sb) {
        error(e);
        return EXIT_USAGE;
    }
    if let Some(log) = &dry_run {
        eprint!("{}", portcullis::forward::render_dry_run(log));
    }
    // The process ends here: the kernel reclaims the engine, guest RAM and translation cache
    // at exit at no cost, where dropping them one by one took ~0.1 ms. (The report has
    // flushed the trace file.)
    std::mem::forget(sb);
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&report).expect("the report serialises")),
        Format::Text if !quiet => print!("{}", report.render_text(verbose > 0)),
        Format::Text => {}
    }
    if let (Some(e), Some(path)) = (trace_error, &args.trace) {
        error(format!("writing the trace to {} failed: {e}; the report has the whole run", path.display()));
        return EXIT_USAGE;
    }
    // An ending the scenario states (expect_outcome = "fault", say) is behaving as expected.
    if scenario.states_outcome() && outcome.outcome_as_expected && outcome.failed_expectations == 0 {
        return EXIT_OK;
    }
    exit_code(&report)
}

/// 0: all as expected (DriverEntry's status included: the scenario checks it);
/// 1: fault, bugcheck or failed expectation; 3: a limit ended the run.
pub fn exit_code(report: &Report) -> i32 {
    match report.outcome {
        Outcome::Ok => EXIT_OK,
        Outcome::Limit => EXIT_LIMIT,
        Outcome::Interrupted => match report.signal {
            Some(signal) => 128 + signal,
            None => EXIT_FAILED,
        },
        _ => EXIT_FAILED,
    }
}
