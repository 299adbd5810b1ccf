//! Configuration: a flag wins over the `EMBUDO_*` environment, which wins over the config
//! file (`--config`, `EMBUDO_CONFIG`, or `./embudo.toml` when present), which wins over the
//! defaults.

use crate::cli::{Format, GlobalArgs};
use anyhow::{Context, Result, bail};
use chrono::{NaiveDate, NaiveDateTime};
use chrono_tz::Tz;
use embudo_audit::checks::{DECLARABLE, Declared};
use embudo_metrics::{Calendar, Limits};
use embudo_monitor::deliver::{Security, Settings, Smtp};
use serde::Deserialize;
use std::path::{Path, PathBuf};

const DEFAULT_DB: &str = "embudo.duckdb";
const DEFAULT_CONFIG: &str = "embudo.toml";

/// The settings a command runs with.
#[derive(Debug, Clone)]
pub struct Config {
    /// The store: a DuckDB file, or a `postgres://` URL.
    pub db: PathBuf,
    /// The store file as given by `--db` on this command line, if it was.
    pub db_flag: Option<PathBuf>,
    /// How data is printed.
    pub format: Format,
    /// No progress and no hints on stderr.
    pub quiet: bool,
    /// Label language: `en` or `es`.
    pub lang: String,
    /// Reporting time zone and fiscal year.
    pub calendar: Calendar,
    /// Labels declared per field (`[labels]` of the file): the audit fails every other value.
    pub labels: Declared,
    /// How scheduled reports and alerts reach people (`[smtp]` and `[delivery]`).
    pub delivery: Settings,
}

/// What an `embudo.toml` may set.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    db: Option<PathBuf>,
    format: Option<Format>,
    lang: Option<String>,
    timezone: Option<String>,
    fiscal_year_start: Option<u32>,
    #[serde(default)]
    limits: FileLimits,
    #[serde(default)]
    labels: Declared,
    smtp: Option<FileSmtp>,
    #[serde(default)]
    delivery: FileDelivery,
}

/// The `[smtp]` table: the server scheduled reports and alerts are sent through. The
/// password is read only from `EMBUDO_SMTP_PASSWORD`, never from the file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSmtp {
    host: Option<String>,
    port: Option<u16>,
    security: Option<String>,
    username: Option<String>,
    from: Option<String>,
}

/// The `[delivery]` table: retries, and the key webhook bodies are signed with.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDelivery {
    attempts: Option<u32>,
    backoff_seconds: Option<u64>,
    webhook_secret: Option<String>,
}

/// The `[limits]` table of an `embudo.toml`: caps on one question (see `Limits`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileLimits {
    max_range_days: Option<i64>,
    max_periods: Option<usize>,
    max_daily_range_days: Option<i64>,
    max_rows: Option<usize>,
    max_metrics: Option<usize>,
}

impl Config {
    pub fn resolve(args: &GlobalArgs) -> Result<Config> {
        let file = load_file(
            args.config
                .clone()
                .or_else(|| env("EMBUDO_CONFIG").map(PathBuf::from)),
        )?;
        let format = match (args.format, env("EMBUDO_FORMAT")) {
            (Some(format), _) => format,
            (None, Some(text)) => parse_format(&text)?,
            (None, None) => file.format.unwrap_or(Format::Table),
        };
        let db = args
            .db
            .clone()
            .or_else(|| env("EMBUDO_DB").map(PathBuf::from))
            .or(file.db)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DB));
        let lang = args
            .lang
            .clone()
            .or_else(|| env("EMBUDO_LANG"))
            .or(file.lang)
            .unwrap_or_else(|| "en".into());
        if !["en", "es"].contains(&lang.as_str()) {
            bail!("unknown language '{lang}': use en or es");
        }
        let zone = args
            .timezone
            .clone()
            .or_else(|| env("EMBUDO_TIMEZONE"))
            .or(file.timezone);
        let tz = match zone {
            Some(name) => name.parse::<Tz>().map_err(|_| {
                anyhow::anyhow!(
                    "unknown time zone '{name}': use an IANA name such as Europe/Madrid"
                )
            })?,
            None => Tz::UTC,
        };
        let fiscal = match (args.fiscal_year_start, env("EMBUDO_FISCAL_YEAR_START")) {
            (Some(month), _) => month,
            (None, Some(text)) => text.parse().with_context(|| {
                format!("EMBUDO_FISCAL_YEAR_START is '{text}', not a month number")
            })?,
            (None, None) => file.fiscal_year_start.unwrap_or(1),
        };
        let limits = limits(&file.limits)?;
        if let Some(field) = file
            .labels
            .keys()
            .find(|field| !DECLARABLE.contains(&field.as_str()))
        {
            bail!(
                "[labels] names '{field}', whose labels cannot be declared: use {}",
                DECLARABLE.join(", ")
            );
        }
        Ok(Config {
            db,
            db_flag: args.db.clone(),
            format,
            quiet: args.quiet,
            lang,
            calendar: Calendar::new(tz, fiscal)?.with_limits(limits),
            labels: file.labels,
            delivery: delivery(file.smtp.unwrap_or_default(), &file.delivery)?,
        })
    }
}

impl Config {
    /// Whether the store is a PostgreSQL database rather than a DuckDB file.
    pub fn on_postgres(&self) -> bool {
        self.db.to_str().is_some_and(embudo_store::postgres::is_url)
    }

    /// The store as messages name it: the file, or the URL with its password hidden.
    pub fn db_shown(&self) -> String {
        match self.db.to_str() {
            Some(url) if self.on_postgres() => embudo_store::postgres::shown(url),
            _ => self.db.display().to_string(),
        }
    }
}

/// The delivery settings: `EMBUDO_SMTP_*` and `EMBUDO_DELIVERY_*` over the file's `[smtp]`
/// and `[delivery]`. Without a host there is no SMTP server, and e-mails fail (journaled)
/// with a message saying so.
fn delivery(file: FileSmtp, retries: &FileDelivery) -> Result<Settings> {
    let host = env("EMBUDO_SMTP_HOST").or(file.host);
    let smtp = match host {
        None => None,
        Some(host) => {
            let security: Security = env("EMBUDO_SMTP_SECURITY")
                .or(file.security)
                .unwrap_or_else(|| "starttls".into())
                .parse()?;
            let port = match env("EMBUDO_SMTP_PORT") {
                Some(text) => text
                    .parse()
                    .map_err(|_| anyhow::anyhow!("EMBUDO_SMTP_PORT is '{text}', not a port"))?,
                None => file.port.unwrap_or(match security {
                    Security::StartTls => 587,
                    Security::Tls => 465,
                    Security::None => 25,
                }),
            };
            let from = env("EMBUDO_SMTP_FROM").or(file.from).ok_or_else(|| {
                anyhow::anyhow!(
                    "[smtp] needs from = \"Embudo <reports@example.com>\" (or EMBUDO_SMTP_FROM)"
                )
            })?;
            Some(Smtp {
                host,
                port,
                security,
                username: env("EMBUDO_SMTP_USERNAME").or(file.username),
                password: env("EMBUDO_SMTP_PASSWORD"),
                from,
            })
        }
    };
    let defaults = Settings::default();
    let attempts = match env("EMBUDO_DELIVERY_ATTEMPTS") {
        Some(text) => text.parse().map_err(|_| {
            anyhow::anyhow!("EMBUDO_DELIVERY_ATTEMPTS is '{text}', not a whole number")
        })?,
        None => retries.attempts.unwrap_or(defaults.attempts),
    };
    let backoff = match env("EMBUDO_DELIVERY_BACKOFF_SECONDS") {
        Some(text) => std::time::Duration::from_secs(text.parse().map_err(|_| {
            anyhow::anyhow!("EMBUDO_DELIVERY_BACKOFF_SECONDS is '{text}', not a whole number")
        })?),
        None => retries
            .backoff_seconds
            .map_or(defaults.backoff, std::time::Duration::from_secs),
    };
    Ok(Settings {
        smtp,
        webhook_secret: env("EMBUDO_WEBHOOK_SECRET").or(retries.webhook_secret.clone()),
        attempts: attempts.max(1),
        backoff,
    })
}

/// The caps on one question: `EMBUDO_MAX_*` over the file's `[limits]` over the defaults.
fn limits(file: &FileLimits) -> Result<Limits> {
    fn pick<T: std::str::FromStr + Copy>(name: &str, file: Option<T>, default: T) -> Result<T> {
        match env(name) {
            Some(text) => text
                .parse()
                .map_err(|_| anyhow::anyhow!("{name} is '{text}', not a positive whole number")),
            None => Ok(file.unwrap_or(default)),
        }
    }
    let default = Limits::default();
    Ok(Limits {
        max_range_days: pick(
            "EMBUDO_MAX_RANGE_DAYS",
            file.max_range_days,
            default.max_range_days,
        )?,
        max_periods: pick("EMBUDO_MAX_PERIODS", file.max_periods, default.max_periods)?,
        max_daily_range_days: pick(
            "EMBUDO_MAX_DAILY_RANGE_DAYS",
            file.max_daily_range_days,
            default.max_daily_range_days,
        )?,
        max_rows: pick("EMBUDO_MAX_ROWS", file.max_rows, default.max_rows)?,
        max_metrics: pick("EMBUDO_MAX_METRICS", file.max_metrics, default.max_metrics)?,
    })
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn parse_format(text: &str) -> Result<Format> {
    match text {
        "table" => Ok(Format::Table),
        "csv" => Ok(Format::Csv),
        "json" => Ok(Format::Json),
        other => bail!("EMBUDO_FORMAT is '{other}'; use table, csv or json"),
    }
}

/// The named file (which must exist), or `./embudo.toml` if there is one.
fn load_file(named: Option<PathBuf>) -> Result<FileConfig> {
    let path = match named {
        Some(path) => path,
        None if Path::new(DEFAULT_CONFIG).exists() => PathBuf::from(DEFAULT_CONFIG),
        None => return Ok(FileConfig::default()),
    };
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    toml::from_str(&text)
        .with_context(|| format!("{} is not a valid embudo config", path.display()))
}

/// A UTC instant from `2026-06-30`, `2026-06-30 17:00:00` or RFC 3339 (`…T17:00:00Z`).
pub fn parse_timestamp(text: &str) -> Result<NaiveDateTime, String> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(t.naive_utc());
    }
    for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(t);
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight exists"))
        .map_err(|_| {
            format!("'{text}' is not a date or timestamp (try 2026-06-30 or 2026-06-30T17:00:00Z)")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_parse_in_three_spellings() {
        let noon = NaiveDate::from_ymd_opt(2026, 6, 30)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap();
        assert_eq!(parse_timestamp("2026-06-30T14:00:00+02:00"), Ok(noon));
        assert_eq!(parse_timestamp("2026-06-30 12:00:00"), Ok(noon));
        assert_eq!(parse_timestamp("2026-06-30").unwrap().date(), noon.date());
        assert!(parse_timestamp("yesterday").is_err());
    }
}
