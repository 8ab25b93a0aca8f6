//! `bailiff`: runs any role of the admin plane, or all of them, plus operator commands.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use bailiff::{Role, register_user};

/// mimalloc instead of glibc malloc: glibc keeps freed memory in per-thread arenas, so
/// after a burst of password hashes (megabytes each, on many blocking-pool threads) the
/// process stayed hundreds of MiB large; mimalloc returns it to the OS and is faster on
/// the many small allocations of request handling.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "bailiff", version, about = "Matrix homeserver admin plane")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the system: every role in one process by default (SQLite, in-process queue).
    Serve {
        /// YAML configuration file; `BAILIFF_<SECTION>__<KEY>` variables override it.
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Runs only these roles (repeatable); the others are reached over gRPC.
        #[arg(long, value_enum)]
        role: Vec<Role>,
    },
    /// Applies database migrations for every service, then exits.
    Migrate {
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
    /// Creates a user through the shared-secret registration endpoint (like Synapse's
    /// `register_new_matrix_user`), e.g. to bootstrap the first admin.
    RegisterUser {
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Localpart (or full user ID) of the new user.
        #[arg(long)]
        user: String,
        /// File holding the password (first line).
        #[arg(long)]
        password_file: PathBuf,
        /// Makes the user a server admin.
        #[arg(long)]
        admin: bool,
        /// Gateway base URL; defaults to the configured HTTP listener.
        #[arg(long)]
        url: Option<String>,
        /// File holding the shared secret; defaults to the configured one.
        #[arg(long)]
        shared_secret_file: Option<PathBuf>,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bailiff: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { config, role } => {
            let config = bailiff_config::Config::load(config.as_deref())?;
            let _telemetry = bailiff_telemetry::init(&config.telemetry, &role_label(&role))?;
            bailiff::serve_until_signal(config, &role).await
        }
        Command::Migrate { config } => {
            let config = bailiff_config::Config::load(config.as_deref())?;
            bailiff::migrate_all(&config).await
        }
        Command::RegisterUser {
            config,
            user,
            password_file,
            admin,
            url,
            shared_secret_file,
        } => {
            let config = bailiff_config::Config::load(config.as_deref())?;
            let request = register_user::Request::from_cli(
                &config,
                user,
                &password_file,
                admin,
                url,
                shared_secret_file,
            )?;
            let registered = register_user::register(&request).await?;
            println!("{registered}");
            Ok(())
        }
    }
}

fn role_label(roles: &[Role]) -> String {
    if roles.is_empty() {
        "all".to_owned()
    } else {
        roles.iter().map(|r| r.name()).collect::<Vec<_>>().join("+")
    }
}
