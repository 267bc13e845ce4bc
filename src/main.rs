use std::process::ExitCode;

use clap::Parser;

use fargate_operator::cli::Cli;
use fargate_operator::telemetry;

/// jemalloc rather than glibc's malloc, with its background threads returning freed pages
/// to the kernel after a few seconds: glibc kept what a relist freed (BENCHMARKS.md, 6).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    // Before any kube or AWS client exists: one rustls crypto provider (src/tls.rs).
    fargate_operator::tls::install_crypto_provider();
    let Cli { command } = Cli::parse();
    let (log_level, log_format) = command.log_settings();
    if let Err(e) = telemetry::init(log_level, log_format) {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    match command.run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
