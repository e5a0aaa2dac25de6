//! The subcommands of the `portcullis` binary.

mod census;
pub mod exports;
pub mod info;
pub mod outputs;
pub mod run;
pub mod run_app;
mod signals;

/// Exit codes.
pub const EXIT_OK: i32 = 0;
/// A driver fault, bugcheck or failed expectation.
pub const EXIT_FAILED: i32 = 1;
/// A usage or load error.
pub const EXIT_USAGE: i32 = 2;
/// A limit ended the run.
pub const EXIT_LIMIT: i32 = 3;

/// Debug logs through `tracing`: RUST_LOG wins; otherwise -v gives info, -vv debug, -q errors.
pub fn init_logging(verbose: u8, quiet: bool) {
    use tracing_subscriber::filter::LevelFilter;
    use tracing_subscriber::EnvFilter;
    let default = match (quiet, verbose) {
        (true, _) => LevelFilter::ERROR,
        (false, 0) | (false, 1) => LevelFilter::WARN,
        (false, 2) => LevelFilter::INFO,
        _ => LevelFilter::DEBUG,
    };
    let logs = tracing_subscriber::fmt().with_writer(std::io::stderr).with_target(false);
    // Without RUST_LOG a plain level does what an EnvFilter of that level would, for less of
    // every start's cost.
    let _ = match EnvFilter::try_from_default_env() {
        Ok(filter) => logs.with_env_filter(filter).try_init(),
        Err(_) => logs.with_max_level(default).try_init(),
    };
}

/// Prints an error the way every subcommand does.
pub fn error(msg: impl std::fmt::Display) {
    eprintln!("portcullis: {msg}");
}
