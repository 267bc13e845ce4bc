//! Logging: `tracing` to stderr, as text or JSON, filtered by `RUST_LOG` syntax.

use tracing_subscriber::EnvFilter;

/// Log line format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Installs the global subscriber. `filter` uses `RUST_LOG` syntax (`info`,
/// `fargate_operator=debug,kube=info`); `RUST_LOG`, when set, wins.
pub fn init(filter: &str, format: LogFormat) -> Result<(), String> {
    let filter = match EnvFilter::try_from_default_env() {
        Ok(f) => f,
        Err(_) => EnvFilter::try_new(filter).map_err(|e| format!("log level {filter:?}: {e}"))?,
    };
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter);
    let result = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    result.map_err(|e| format!("installing the logger: {e}"))
}
