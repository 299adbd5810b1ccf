//! `embudo serve`, `embudo user …`, `embudo token create`: the server and who may use it.

use crate::cli::{ServeArgs, TokenCommand, UserCommand};
use crate::config::Config;
use crate::output;
use anyhow::{Context as _, Result, bail};
use embudo_access::secret;
use embudo_access::users::{self, NewUser};
use embudo_model::Table;
use embudo_store::Store;
use serde_json::json;
use std::io::{IsTerminal, Read};

pub fn run(config: &Config, args: &ServeArgs) -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("EMBUDO_LOG")
                .unwrap_or_else(|_| "info,tower_http=info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
        .init();
    let store = Store::open(&config.db)?;
    let defaults = embudo_server::ServerLimits::default();
    let limits = embudo_server::ServerLimits {
        memory_bytes: args
            .memory_limit_mb
            .map_or(defaults.memory_bytes, |mb| mb * 1024 * 1024),
        body_bytes: args.max_body_mb * 1024 * 1024,
        timeout: std::time::Duration::from_secs(args.request_timeout),
    };
    let state =
        embudo_server::AppState::with_limits(store, config.calendar, args.secure_cookies, limits)?
            .with_declared_labels(config.labels.clone());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the server's runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .with_context(|| format!("listening on {}", args.addr))?;
        let address = listener.local_addr()?;
        tracing::info!(
            %address,
            store = %config.db_shown(),
            "serving the API under /api/v1"
        );
        super::hint(
            config,
            format_args!(
                "Embudo is serving {}:
  dashboard  http://{address}/
  API        http://{address}/api/v1 (OpenAPI at /api/v1/openapi.json)
Stop it with Ctrl-C.",
                config.db_shown()
            ),
        );
        embudo_server::monitor::spawn(&state, config.delivery.clone(), config.lang.clone());
        embudo_server::serve(listener, state, embudo_server::shutdown_signal()).await?;
        tracing::info!("stopped");
        Ok(())
    })
}

pub fn user(config: &Config, command: &UserCommand) -> Result<()> {
    let now = chrono::Utc::now().naive_utc();
    match command {
        UserCommand::Add {
            name,
            email,
            role,
            team,
        } => {
            let store = Store::open(&config.db)?;
            let user = NewUser {
                name: name.clone(),
                email: email.clone(),
                role: role.parse()?,
                team: team.clone(),
            };
            let (password, generated) = password()?;
            let id = users::add(&store, &user, &password, now)?;
            super::hint(config, format_args!("user {id} added: {email}"));
            if generated {
                println!("{password}");
                super::hint(config, "(the password above is shown once)");
            }
            Ok(())
        }
        UserCommand::List => {
            let store = Store::open_read_only(&config.db)?;
            let rows = users::list(&store)?
                .into_iter()
                .map(|u| {
                    vec![
                        json!(u.id),
                        json!(u.name),
                        json!(u.email),
                        json!(u.role),
                        json!(u.team),
                        json!(u.active),
                        json!(u.password),
                        json!(u.tokens),
                        json!(u.last_login_at),
                    ]
                })
                .collect();
            let columns = [
                "id",
                "name",
                "email",
                "role",
                "team",
                "active",
                "password",
                "tokens",
                "last_login_at",
            ];
            output::print(
                &Table {
                    columns: columns.map(String::from).to_vec(),
                    rows,
                },
                config.format,
            )
        }
        UserCommand::Lang { email, lang } => {
            users::set_lang(&Store::open(&config.db)?, email, lang)?;
            super::hint(config, format_args!("{email} reads deliveries in {lang}"));
            Ok(())
        }
        UserCommand::Disable { email } => {
            users::disable(&Store::open(&config.db)?, email, now)?;
            super::hint(config, format_args!("{email} disabled"));
            Ok(())
        }
        UserCommand::Password { email } => {
            let store = Store::open(&config.db)?;
            let (password, generated) = password()?;
            users::set_password(&store, email, &password, now)?;
            if generated {
                println!("{password}");
                super::hint(config, "(the password above is shown once)");
            }
            Ok(())
        }
    }
}

pub fn token(config: &Config, command: &TokenCommand) -> Result<()> {
    let TokenCommand::Create { user, name } = command;
    let token = users::create_token(
        &Store::open(&config.db)?,
        user,
        name,
        chrono::Utc::now().naive_utc(),
    )?;
    println!("{token}");
    super::hint(
        config,
        "(shown once: send it as `Authorization: Bearer <token>`)",
    );
    Ok(())
}

/// The password from standard input (its first line) when it is piped, else a generated
/// one; and whether it was generated.
fn password() -> Result<(String, bool)> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Ok((secret::new_password(), true));
    }
    let mut text = String::new();
    stdin
        .lock()
        .read_to_string(&mut text)
        .context("reading the password from standard input")?;
    let line = text.lines().next().unwrap_or_default().to_owned();
    if line.is_empty() {
        bail!(
            "no password on standard input: pipe one (`echo 'a long passphrase' | embudo user add …`), or run the command in a terminal to have one generated and shown once"
        );
    }
    Ok((line, false))
}
