//! The `pushprov` command: `serve` (default) and `migrate`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use pushprov::config::Settings;
use pushprov::secrets::Secrets;
use pushprov::startup::{Application, open_store};

#[derive(Parser)]
#[command(name = "pushprov", about = "Issuer portal for Mastercard MDES push provisioning", version)]
struct Cli {
    /// Settings file (TOML). Without it, `pushprov.toml` is read when present.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the portal (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("pushprov: {e}");
            return ExitCode::from(2);
        }
    };
    pushprov::telemetry::init(&settings.log);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pushprov: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => {
                let app = Application::build(settings.clone()).await?;
                tracing::info!(url = %settings.public_url(), port = app.port(), "pushprov is serving");
                app.run_until_stopped().await?;
            }
            Command::Migrate => {
                open_store(&settings, &Secrets::resolve(&settings)?).await?;
                println!("migrations applied");
            }
        }
        anyhow::Ok(())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the outermost context and its cause.
            eprintln!("pushprov: {e:#}");
            ExitCode::FAILURE
        }
    }
}
