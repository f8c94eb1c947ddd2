//! The `pushprov` command: `serve` (default), `migrate`, `catalog refresh`, `sandbox`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use pushprov::config::Settings;
use pushprov::secrets::Secrets;
use pushprov::startup::{Application, mdes_client, open_store};

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
    /// The token requestor catalogue.
    Catalog {
        #[command(subcommand)]
        action: CatalogCommand,
    },
    /// Run the built-in MDES sandbox and demo token requestors alone, on
    /// `sandbox.port` (docs/sandbox.md "URLs"). Not in a build without the sandbox.
    #[cfg(feature = "sandbox")]
    Sandbox {
        #[command(subcommand)]
        action: Option<SandboxCommand>,
    },
}

#[derive(Subcommand)]
enum CatalogCommand {
    /// Fetch the catalogue from MDES now and print what changed.
    Refresh,
}

#[cfg(feature = "sandbox")]
#[derive(Subcommand)]
enum SandboxCommand {
    /// Print the sandbox's data set (token requestors, test cards) as JSON:
    /// the built-in one, or `sandbox.data_file`'s.
    Data,
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
            #[cfg(feature = "sandbox")]
            Command::Sandbox { action: Some(SandboxCommand::Data) } => {
                let data = settings.sandbox.load_data(pushprov::startup::demo_issuer())?;
                println!("{}", serde_json::to_string_pretty(&data)?);
            }
            #[cfg(feature = "sandbox")]
            Command::Sandbox { action: None } => {
                anyhow::ensure!(
                    settings.sandbox.is_enabled(settings.demo.enabled),
                    "the sandbox runs only with demo.enabled = true"
                );
                let secrets = Secrets::resolve(&settings)?;
                let setup = pushprov::startup::sandbox_setup(&settings, secrets.token_event_key);
                let (_, server) = pushprov::sandbox::run_standalone(&setup)?;
                server.await?;
            }
            Command::Migrate => {
                open_store(&settings, &Secrets::resolve(&settings)?).await?;
                println!("migrations applied");
            }
            Command::Catalog { action: CatalogCommand::Refresh } => {
                let store = open_store(&settings, &Secrets::resolve(&settings)?).await?;
                let client = mdes_client(&settings)?;
                let owner = pushprov::catalog::lease_owner();
                let report = pushprov::catalog::refresh(&store, &client, &settings.catalog, &owner).await?;
                println!("{report}");
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
