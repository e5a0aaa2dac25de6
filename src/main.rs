//! The `portcullis` command line.
//!
//! Exit codes: 0 every entry point and scenario step behaved as expected; 1 a driver fault,
//! bugcheck or failed expectation; 2 a usage or load error; 3 a limit ended the run.

mod cli;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "portcullis", version, about = "Run a Windows kernel driver without Windows and without trusting it")]
struct Args {
    /// More detail (-v lists every API call with its arguments; -vv also debug logs).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Only errors.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Load a driver, run DriverEntry and a scenario, print what it did.
    Run(cli::run::RunArgs),
    /// Run a user program (.exe) against a driver: its console output, exit code and the
    /// port I/O it and the driver caused.
    RunApp(cli::run_app::RunAppArgs),
    /// Describe a driver image without running it.
    Info(cli::info::InfoArgs),
    /// List the kernel exports Portcullis implements.
    Exports(cli::exports::ExportsArgs),
    /// Run every driver under the given paths (the default scenario, each in a worker
    /// process) and tabulate what became of each, and which missing imports block them.
    Survey(portcullis::survey::SurveyArgs),
    /// Run the driver corpus and compare with golden traces.
    #[command(subcommand)]
    Corpus(portcullis::corpus::CorpusCommand),
}

fn main() {
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    cli::init_logging(args.verbose, args.quiet);
    let code = match args.command {
        Command::Run(a) => cli::run::main(a, args.verbose, args.quiet),
        Command::RunApp(a) => cli::run_app::main(a, args.verbose, args.quiet),
        Command::Info(a) => cli::info::main(a),
        Command::Exports(a) => cli::exports::main(a),
        Command::Survey(a) => portcullis::survey::main(a, args.verbose, args.quiet),
        Command::Corpus(c) => portcullis::corpus::main(c, args.verbose, args.quiet),
    };
    std::process::exit(code);
}
