//! The argument grammar.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Embudo: see what is really going on in your CRM.
///
/// Embudo keeps your customers, deals and activities in one DuckDB file, audits the data and
/// reports on it. Start with `embudo demo`, which builds a sample business and shows what
/// Embudo can tell you about it.
#[derive(Debug, Parser)]
#[command(name = "embudo", version, about, long_about, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// The store: a DuckDB file, or a postgres:// URL [env: EMBUDO_DB; default: ./embudo.duckdb]
    #[arg(long, global = true, value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// How to print data [env: EMBUDO_FORMAT; default: table]
    #[arg(long, global = true, value_enum)]
    pub format: Option<Format>,

    /// Print nothing but the data (no progress, no hints)
    #[arg(long, short, global = true)]
    pub quiet: bool,

    /// A configuration file [env: EMBUDO_CONFIG; default: ./embudo.toml if present]
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Language of labels: en or es [env: EMBUDO_LANG; default: en]
    #[arg(long, global = true, value_name = "LANG")]
    pub lang: Option<String>,

    /// Reporting time zone, an IANA name such as Europe/Madrid [env: EMBUDO_TIMEZONE; default: UTC]
    #[arg(long, global = true, value_name = "ZONE")]
    pub timezone: Option<String>,

    /// Month (1-12) the fiscal year starts in [env: EMBUDO_FISCAL_YEAR_START; default: 1]
    #[arg(long, global = true, value_name = "MONTH")]
    pub fiscal_year_start: Option<u32>,
}

/// Output formats for data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// A table for people.
    Table,
    /// Comma-separated values with a header row.
    Csv,
    /// A JSON array of objects, one per row (a report: the documented object).
    Json,
    /// One self-contained HTML page (reports only).
    Html,
    /// An Excel workbook, a sheet per section (reports and export; needs -o FILE).
    Xlsx,
    /// An Apache Parquet file (export only; needs -o FILE).
    Parquet,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create an empty store (or bring an older one up to the current schema).
    Init,

    /// Fill the store with a simulated business: three years of contacts, deals,
    /// activities, marketing and service, with deliberate data defects.
    ///
    /// The same --seed, --scale and --now always give the same rows.
    ///
    /// Example: embudo generate --scale medium --seed 7 --truth truth.json
    Generate(GenerateArgs),

    /// Build a sample store in ./embudo-demo.duckdb and show what Embudo sees in it.
    ///
    /// Only ever replaces a file that an earlier `embudo demo` created.
    Demo(DemoArgs),

    /// Run read-only SQL over the canonical tables.
    ///
    /// The store is opened read-only and cut off from the file system, so a query can
    /// neither change it nor read or write other files.
    ///
    /// Example: embudo sql "SELECT lead_source, count(*) FROM contacts GROUP BY ALL"
    Sql {
        /// One SQL statement.
        query: String,
    },

    /// Row counts of every canonical table.
    Tables,

    /// Recompute what the store derives, for files written by earlier versions.
    ///
    /// `repair derived`: each contact's `customer_at` from its first revenue (won deal or
    /// order), and the creation date of deals an import gave its own instant, from the
    /// earliest date known of each (flagged inferred). Running it twice changes nothing.
    ///
    /// Example: embudo repair derived
    #[command(subcommand, verbatim_doc_comment)]
    Repair(RepairCommand),

    /// The metric catalogue: name, label, group, family, unit and dimensions.
    Metrics,

    /// Compute one metric over a range, optionally by period, dimension and comparison.
    ///
    /// Examples:
    ///   embudo metric revenue --from 2026-01-01 --to 2026-07-01 --grain month
    ///   embudo metric close_rate --from 2026-04-01 --to 2026-07-01 --by owner --compare previous_period
    ///   embudo metric prospects --from 2026-01-01 --to 2027-01-01 --grain quarter --filter lead_source=email
    #[command(verbatim_doc_comment)]
    Metric(MetricArgs),

    /// Run a custom report: several metrics over one range, one column per metric.
    ///
    /// The spec is TOML (or JSON, by its .json extension):
    ///   metrics = ["revenue", "deals_won", "close_rate"]
    ///   by = ["owner"]
    ///   grain = "month"
    ///   from = "2026-01-01"
    ///   to = "2026-07-01"
    ///   filters = { lead_source = "email" }
    ///   compare = "previous_period"
    ///
    /// Examples:
    ///   embudo query --spec owners.toml --save owners
    ///   embudo query --saved owners --format csv
    ///   embudo query --list
    #[command(verbatim_doc_comment)]
    Query(QueryArgs),

    /// Set goals for metrics and follow their progress.
    #[command(subcommand)]
    Goal(GoalCommand),

    /// Canned reports: `report list`, `report NAME`, or `report all` for the whole pack.
    ///
    /// Examples:
    ///   embudo report conversion --from 2026-01-01 --to 2026-07-01
    ///   embudo report pipeline --pipeline "New Business"
    ///   embudo report all --format html -o pack.html
    ///   embudo --lang es report lost_deals --format json
    #[command(verbatim_doc_comment)]
    Report(ReportArgs),

    /// Find inaccurate customer data: every check with its failing rows and a quality score.
    ///
    /// Each run's scores are kept (table audit_runs) so their trend shows.
    ///
    /// Examples:
    ///   embudo audit
    ///   embudo audit --entity contacts --format json
    ///   embudo audit --check contacts.email.typo_domain
    ///   embudo audit access
    #[command(verbatim_doc_comment)]
    Audit(AuditArgs),

    /// Merge duplicates into one survivor; every change is journaled and can be undone.
    ///
    /// The survivor is --survivor, or the most complete record (then the oldest). Its empty
    /// fields take the others' values, every related row is re-pointed to it, and the
    /// others stay as tombstones (merged_into_id).
    ///
    /// Examples:
    ///   embudo merge --entity contacts --ids 1042,5311 --dry-run
    ///   embudo merge --entity contacts --cluster 3
    ///   embudo merge --entity companies --auto --min-confidence 0.99
    #[command(verbatim_doc_comment)]
    Merge(MergeArgs),

    /// Undo a merge exactly, by its journal id (later merges into the same survivor first).
    Unmerge {
        /// The merge_journal id printed by `embudo merge`
        journal_id: i64,
    },

    /// Measure Embudo on this machine and print the figures.
    ///
    /// Benchmarks run on a fresh store generated in a temporary directory, or on --store.
    ///
    /// Examples:
    ///   embudo bench --scale large
    ///   embudo bench metrics --scale large
    #[command(verbatim_doc_comment)]
    Bench(BenchArgs),

    /// Reports delivered on a schedule, by e-mail to users (each in their own scope and
    /// language) and to a webhook.
    ///
    /// A delivery covers the last complete period: a daily one the day before, a weekly one
    /// the previous ISO week, a monthly one (on the 1st) the previous month. `embudo serve`
    /// delivers what is due every minute; without a server, run `embudo watch` from cron.
    ///
    /// Examples:
    ///   embudo schedule add weekly-pipeline --report pipeline --every week --weekday mon --at 08:00 --to ana@example.com,luis@example.com
    ///   embudo schedule add month-pack --pack --every month --to boss@example.com --attach xlsx
    ///   embudo schedule add owners-weekly --saved owners --every week --to ana@example.com
    ///   embudo schedule run weekly-pipeline
    #[command(subcommand, verbatim_doc_comment)]
    Schedule(ScheduleCommand),

    /// Alerts on any metric: a threshold on its value, or on its change against the period
    /// before, judged on a cadence and sent once until the condition clears.
    ///
    /// Examples:
    ///   embudo alert add low-close-rate --when "close_rate < 0.25" --every week --to manager@example.com
    ///   embudo alert add revenue-drop --when "revenue change_pct < -0.2" --every month --webhook https://hooks.slack.com/services/…
    ///   embudo alert test low-close-rate
    ///   embudo alert add stuck-deals --when "stale_deals(30) > 0" --every week --filter team=Madrid --to manager@example.com
    ///   embudo alert act stuck-deals          # a follow-up task for each stuck deal's owner
    ///   embudo alert undo 1
    #[command(subcommand, verbatim_doc_comment)]
    Alert(AlertCommand),

    /// Deliver every schedule and judge every alert due now, once, and exit — for cron,
    /// when no `embudo serve` runs. Running it twice sends nothing twice.
    ///
    /// Example (crontab): */5 * * * * embudo watch --quiet
    #[command(verbatim_doc_comment)]
    Watch(WatchArgs),

    /// Import CRM exports and spreadsheets: one file, or several with a TOML mapping.
    ///
    /// A single file's columns are guessed from its headers (English and Spanish names, or a
    /// --preset's export headers); --dry-run shows the guess and changes nothing, --save-map
    /// keeps it to edit. Everything is one transaction: an error leaves the store as it was.
    /// Rows that cannot be imported go to <file>.rejected.csv with the reason, and the rest
    /// proceed; the exit code is 1 when any row was rejected, unless --allow-rejects.
    ///
    /// Examples:
    ///   embudo import contacts contacts.csv --preset hubspot
    ///   embudo import deals pipeline.xlsx --sheet Deals --dry-run --save-map deals.toml
    ///   embudo import --map crm.toml
    #[command(verbatim_doc_comment)]
    Import(ImportArgs),

    /// What the open pipeline will bring in the next months, win probabilities learned from
    /// your own closed deals, and how past forecasts fared.
    ///
    /// Without a subcommand: per month, the stage-weighted and model-weighted amounts (by
    /// expected close month), the expected revenue (each deal's probability, closing when
    /// past winners like it did) and the simulated P10/P50/P90, with the chance of reaching
    /// the month's revenue goal.
    ///
    /// Examples:
    ///   embudo forecast --months 6
    ///   embudo forecast train
    ///   embudo forecast train --at 2026-01-01 --format json
    ///   embudo forecast backtest --at 2026-01-01 --at 2026-02-01
    #[command(verbatim_doc_comment)]
    Forecast(ForecastArgs),

    /// One deal: `deal explain ID` gives its win probability, the factors behind it and
    /// what would raise it.
    ///
    /// Example: embudo deal explain 4821
    #[command(subcommand, verbatim_doc_comment)]
    Deal(DealCommand),

    /// Export a table or a report as CSV, JSON, XLSX or Parquet (--format).
    ///
    /// Examples:
    ///   embudo export contacts --format csv -o contacts.csv
    ///   embudo export deals --format parquet -o deals.parquet
    ///   embudo export pipeline --format xlsx -o pipeline.xlsx
    ///   embudo export --as hubspot -o hubspot-export/
    #[command(verbatim_doc_comment)]
    Export(ExportArgs),

    /// Serve the REST API on the store, so a team shares one Embudo: each person sees what
    /// their role allows. Stop it with Ctrl-C (requests in flight finish first).
    ///
    /// Examples:
    ///   embudo user add "Ana García" --email ana@example.com --role admin
    ///   embudo serve --addr 127.0.0.1:8080
    ///   curl -H "Authorization: Bearer $TOKEN" localhost:8080/api/v1/reports/pipeline
    #[command(verbatim_doc_comment)]
    Serve(ServeArgs),

    /// People who use the server: add (with a password), list, disable, set a password.
    ///
    /// Examples:
    ///   embudo user add "Luis Pérez" --email luis@example.com --role rep --team Madrid
    ///   echo "a long password" | embudo user password luis@example.com
    #[command(subcommand, verbatim_doc_comment)]
    User(UserCommand),

    /// API tokens for scripts: `token create --user EMAIL` prints one, once.
    #[command(subcommand)]
    Token(TokenCommand),

    /// Copy a whole store between a DuckDB file and a PostgreSQL database (either way).
    ///
    /// Every table is copied, then read back from both sides: each table's checksum must
    /// agree or nothing is kept. The target must be empty unless --replace. A PostgreSQL
    /// database is given as a URL and brought to this embudo's schema first.
    ///
    /// Examples:
    ///   embudo migrate --from embudo.duckdb --to postgres://embudo@db.internal/crm
    ///   embudo migrate --from postgres://embudo@db.internal/crm --to backup.duckdb --replace
    #[command(verbatim_doc_comment)]
    Migrate(MigrateArgs),
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// The store to copy: a DuckDB file or a postgres:// URL
    #[arg(long, value_name = "FILE|URL")]
    pub from: String,
    /// The store to copy into: a DuckDB file or a postgres:// URL
    #[arg(long, value_name = "FILE|URL")]
    pub to: String,
    /// Drop what the target holds instead of refusing a target that is not empty
    #[arg(long)]
    pub replace: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on
    #[arg(long, env = "EMBUDO_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: std::net::SocketAddr,
    /// Mark the session cookie Secure: set it when the server is reached over HTTPS
    #[arg(long, env = "EMBUDO_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Memory the database engine may use, in MiB; a query needing more fails alone
    /// [default: half of this machine's memory]
    #[arg(long, env = "EMBUDO_MEMORY_LIMIT_MB", value_name = "MIB")]
    pub memory_limit_mb: Option<u64>,
    /// The largest request body accepted (an import upload), in MiB
    #[arg(
        long,
        env = "EMBUDO_MAX_BODY_MB",
        default_value_t = 64,
        value_name = "MIB"
    )]
    pub max_body_mb: usize,
    /// Seconds a request may take before it is answered 408 and its queries interrupted
    #[arg(
        long,
        env = "EMBUDO_REQUEST_TIMEOUT",
        default_value_t = 60,
        value_name = "SECONDS"
    )]
    pub request_timeout: u64,
}

/// When and to whom: the flags schedules and alerts share.
#[derive(Debug, Args)]
pub struct DeliveryArgs {
    /// day, week or month
    #[arg(long)]
    pub every: String,
    /// Local time of day in the store's time zone, HH:MM
    #[arg(long, default_value = "08:00")]
    pub at: String,
    /// The weekday of a weekly delivery: mon … sun [default: mon]
    #[arg(long)]
    pub weekday: Option<String>,
    /// E-mail addresses of users of the store, comma-separated
    #[arg(long, value_delimiter = ',')]
    pub to: Vec<String>,
    /// A URL to POST a JSON message to (Slack and Teams incoming webhooks read its `text`)
    #[arg(long)]
    pub webhook: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ScheduleCommand {
    /// Add a schedule.
    Add {
        name: String,
        /// The canned report to deliver (`embudo report list`)
        #[arg(long, required_unless_present_any = ["pack", "saved"], conflicts_with_all = ["pack", "saved"])]
        report: Option<String>,
        /// Deliver the whole pack of reports
        #[arg(long, conflicts_with = "saved")]
        pack: bool,
        /// Deliver a saved custom report (`embudo query --list`): its metrics, dimensions and
        /// filters over each delivery's period
        #[arg(long)]
        saved: Option<String>,
        /// Fix a report filter: pipeline=, owner=, team= or source= (repeatable)
        #[arg(long = "filter", value_name = "FIELD=VALUE")]
        filters: Vec<String>,
        #[command(flatten)]
        delivery: DeliveryArgs,
        /// What the e-mail carries besides its HTML body: html (nothing), xlsx or csv
        #[arg(long = "attach", default_value = "html")]
        attach: String,
    },
    /// Every schedule: report, cadence, recipients, and its last delivery.
    List,
    /// Remove a schedule (its deliveries stay in the journal).
    Rm { name: String },
    /// Deliver a schedule's latest complete period now, even if it was delivered already.
    Run {
        name: String,
        /// Act as if it were this instant (a day, or an RFC 3339 instant)
        #[arg(long)]
        now: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AlertCommand {
    /// Add an alert rule.
    Add {
        name: String,
        /// METRIC [change_pct|change_pct_yoy] <|<=|>|>= NUMBER ("close_rate < 0.25",
        /// "revenue change_pct_yoy < 0"), or stale_deals(DAYS),
        /// probability_drops(POINTS), sla_breaches, goals_at_risk, quality_drop or
        /// forecast_band (revenue outside the forecast's P10–P90 made at the period's start)
        /// against a number ("stale_deals(30) > 0", "forecast_band > 0")
        #[arg(long)]
        when: String,
        /// Only the records with this dimension value: team=East, owner=Ana Ruiz… (repeatable)
        #[arg(long = "filter", value_name = "DIMENSION=VALUE")]
        filters: Vec<String>,
        /// Judge a metric for each value of this dimension (owner, team, lead_source…): the
        /// alert names the ones crossing, and fires again when another one crosses
        #[arg(long, value_name = "DIMENSION")]
        by: Option<String>,
        #[command(flatten)]
        delivery: DeliveryArgs,
        /// After firing, stay quiet this long even if the condition clears and returns: 24h, 7d
        #[arg(long, default_value = "24h")]
        cooldown: String,
    },
    /// Every rule: condition, cadence, recipients, whether it is firing.
    List,
    /// Remove a rule.
    Rm { name: String },
    /// Judge a rule over its latest complete period and print what it finds; sends nothing.
    Test {
        name: String,
        /// Act as if it were this instant (a day, or an RFC 3339 instant)
        #[arg(long)]
        now: Option<String>,
    },
    /// Take a deals rule's corrective action (stale_deals, probability_drops): a follow-up
    /// task for the owner of each deal behind it, journaled (prints the journal id for
    /// `alert undo`).
    Act {
        name: String,
        /// Days until the tasks are due
        #[arg(long, default_value_t = 2)]
        due_in_days: i64,
    },
    /// Undo an action by its journal id: its tasks go, except those already done.
    Undo { journal_id: i64 },
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Act as if it were this instant (a day, or an RFC 3339 instant): for trying a
    /// schedule out
    #[arg(long)]
    pub now: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum RepairCommand {
    /// Contacts' first revenue and deals' inferred creation dates
    Derived,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user. The password is read from standard input when it is not a terminal;
    /// otherwise one is generated and printed once.
    Add {
        /// Their name as reports show it
        name: String,
        #[arg(long)]
        email: String,
        /// admin, manager, rep, agent or viewer
        #[arg(long)]
        role: String,
        /// Their team (created if new)
        #[arg(long)]
        team: Option<String>,
    },
    /// Every user with role, team, whether they can log in, and tokens.
    List,
    /// Disable a user: no more logins, sessions ended, tokens revoked; records stay.
    Disable { email: String },
    /// Set a user's password (from standard input, or generated and printed once), e.g.
    /// for users imported from a CRM.
    Password { email: String },
    /// Set the language a user reads scheduled reports and alerts in: en or es.
    Lang { email: String, lang: String },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user, printed once (only its digest is kept).
    Create {
        /// The user's e-mail
        #[arg(long)]
        user: String,
        /// What the token is for
        #[arg(long, default_value = "api")]
        name: String,
    },
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// small (~2k contacts), medium (~100k), large (~1M contacts, 10M activities)
    #[arg(long, default_value = "small")]
    pub scale: embudo_synth::Scale,

    /// Random seed
    #[arg(long, default_value_t = 42)]
    pub seed: u64,

    /// The simulated present, e.g. 2026-06-30 or 2026-06-30T17:00:00Z [default: now]
    #[arg(long, value_name = "TIMESTAMP", value_parser = crate::config::parse_timestamp)]
    pub now: Option<chrono::NaiveDateTime>,

    /// Share of records given a deliberate defect (0 for clean data)
    #[arg(long, default_value_t = 0.05, value_name = "RATE", value_parser = parse_rate)]
    pub defects: f64,

    /// End every deal by a coin flip independent of everything recorded about it, so that
    /// there is nothing to forecast from (for checking a model claims no skill)
    #[arg(long)]
    pub no_signal: bool,

    /// Write the ground truth (duplicates, defects, future of open deals) as JSON here
    #[arg(long, value_name = "PATH")]
    pub truth: Option<PathBuf>,

    /// Replace the data already in the store (otherwise a store with data is refused)
    #[arg(long)]
    pub replace: bool,
}

#[derive(Debug, Args)]
pub struct MetricArgs {
    /// The metric's name (see `embudo metrics`)
    pub name: String,

    /// Start of the range, inclusive: YYYY-MM-DD (midnight in the reporting time zone) or RFC 3339
    #[arg(long, required_unless_present = "period", conflicts_with = "period")]
    pub from: Option<String>,

    /// End of the range, exclusive
    #[arg(long, required_unless_present = "period", conflicts_with = "period")]
    pub to: Option<String>,

    /// A named period instead of --from and --to: this_week, last_week, this_month,
    /// last_month, this_quarter, last_quarter (fiscal), this_year, last_year, year_to_date,
    /// last_30_days, last_90_days, last_12_months
    #[arg(long)]
    pub period: Option<String>,

    /// Split the range into day, week (ISO), month, quarter or year periods
    #[arg(long)]
    pub grain: Option<String>,

    /// Dimensions to split by, comma-separated (e.g. owner,lead_source)
    #[arg(long, value_delimiter = ',')]
    pub by: Vec<String>,

    /// Only records whose dimension has this value, e.g. lead_source=email (repeatable)
    #[arg(long, value_name = "DIM=VALUE")]
    pub filter: Vec<String>,

    /// Add the value of the previous_period or previous_year, and the change
    #[arg(long)]
    pub compare: Option<String>,
}

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// A report spec file (TOML, or JSON with a .json extension)
    #[arg(long, value_name = "FILE", required_unless_present_any = ["saved", "list"])]
    pub spec: Option<PathBuf>,

    /// Run the report saved under this name
    #[arg(long, value_name = "NAME", conflicts_with_all = ["spec", "list"])]
    pub saved: Option<String>,

    /// List the saved reports
    #[arg(long, conflicts_with = "spec")]
    pub list: bool,

    /// Save the --spec report under this name (replacing one of the same name)
    #[arg(long, value_name = "NAME", requires = "spec")]
    pub save: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum GoalCommand {
    /// Add a goal.
    ///
    /// Example: embudo goal add "Q3 revenue" --metric revenue --target 250000 --from 2026-07-01 --to 2026-10-01
    Add(GoalAddArgs),
    /// List the goals.
    List,
    /// Remove a goal by id or name.
    Rm {
        /// The goal's id or name
        goal: String,
    },
    /// Each goal's target, actual, attainment, expected attainment at a linear pace,
    /// projected end value and status (achieved, on_track, at_risk, behind).
    Progress {
        /// The instant to assess at (YYYY-MM-DD or RFC 3339) [default: now]
        #[arg(long)]
        at: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct GoalAddArgs {
    /// The goal's name
    pub name: String,
    /// The metric (see `embudo metrics`)
    #[arg(long)]
    pub metric: String,
    /// The target value, in the metric's unit (ratios as 0.35, not 35%)
    #[arg(long)]
    pub target: f64,
    /// First day of the goal's period
    #[arg(long)]
    pub from: chrono::NaiveDate,
    /// Day after the last day of the goal's period
    #[arg(long)]
    pub to: chrono::NaiveDate,
    /// company, team:NAME or user:NAME
    #[arg(long, default_value = "company")]
    pub scope: String,
    /// The metric should stay at or below the target (e.g. resolution time)
    #[arg(long)]
    pub at_most: bool,
    /// Count only records whose dimension has this value, e.g. lead_source=email (repeatable)
    #[arg(long, value_name = "DIM=VALUE")]
    pub filter: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A report name, `list`, or `all`
    pub name: String,
    #[command(flatten)]
    pub options: ReportOptions,
    /// Write to this file instead of standard output
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// What a report covers.
#[derive(Debug, Args, Default)]
pub struct ReportOptions {
    /// Start of the range [default: the first day of the last complete month]
    #[arg(long, conflicts_with = "period")]
    pub from: Option<String>,
    /// End of the range, exclusive [default: the first day of this month]
    #[arg(long, conflicts_with = "period")]
    pub to: Option<String>,
    /// A named period instead of --from and --to: this_week, last_week, this_month,
    /// last_month, this_quarter, last_quarter (fiscal), this_year, last_year, year_to_date,
    /// last_30_days, last_90_days, last_12_months
    #[arg(long)]
    pub period: Option<String>,
    /// The instant of point-in-time reports (pipeline, activity, forecast) [default: now]
    #[arg(long)]
    pub at: Option<String>,
    /// Only this pipeline
    #[arg(long)]
    pub pipeline: Option<String>,
    /// Only this owner (user name)
    #[arg(long)]
    pub owner: Option<String>,
    /// Only this team
    #[arg(long)]
    pub team: Option<String>,
    /// Only this lead source
    #[arg(long)]
    pub source: Option<String>,
    /// Split by this dimension where the report allows it (e.g. sales_cycle --by owner)
    #[arg(long)]
    pub by: Option<String>,
    /// Time grain where the report has periods
    #[arg(long)]
    pub grain: Option<String>,
    /// Months ahead in the forecast [default: 3]
    #[arg(long)]
    pub months: Option<u32>,
    /// Each figure beside its value over the previous period or the same range a year
    /// before (a column of its own in tables, CSV and XLSX)
    #[arg(long, value_name = "previous_period|previous_year")]
    pub compare: Option<String>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The table the file fills: contacts, companies, deals, users, products… (not with --map)
    #[arg(required_unless_present = "map")]
    pub entity: Option<String>,
    /// The file: CSV (any delimiter, UTF-8 or Windows-1252), XLSX, XLS, ODS or JSON lines
    #[arg(required_unless_present = "map")]
    pub file: Option<PathBuf>,
    /// A TOML mapping of several files (see the README) instead of ENTITY FILE
    #[arg(long, value_name = "MAPPING", conflicts_with_all = ["entity", "file", "preset", "save_map", "sheet"])]
    pub map: Option<PathBuf>,
    /// Read the standard export headers of hubspot, pipedrive, salesforce or activecampaign
    #[arg(long)]
    pub preset: Option<String>,
    /// Stored on every row; re-imports update rows by (source system, external id)
    /// [default: the preset's name, or "import"]
    #[arg(long, env = "EMBUDO_SOURCE_SYSTEM", value_name = "NAME")]
    pub source_system: Option<String>,
    /// The sheet of a workbook [default: the first]
    #[arg(long)]
    pub sheet: Option<String>,
    /// D/M/Y or M/D/Y, for dates such as 01/02/2025 that read both ways
    #[arg(long, value_name = "ORDER")]
    pub date_format: Option<String>,
    /// Currency of amounts whose rows name none
    #[arg(long, default_value = "USD")]
    pub currency: String,
    /// Show the column mapping and what would change, and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Save the column mapping as a TOML mapping file, to edit and reuse with --map
    #[arg(long, value_name = "MAPPING")]
    pub save_map: Option<PathBuf>,
    /// Exit 0 even when some rows were rejected (they are in <file>.rejected.csv)
    #[arg(long)]
    pub allow_rejects: bool,
    /// Create the users, teams, products or companies that rows name but the store lacks
    /// (users inactive and without login), instead of keeping the names as text
    #[arg(long, value_delimiter = ',', value_name = "TABLES")]
    pub create_missing: Vec<String>,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ForecastArgs {
    #[command(subcommand)]
    pub command: Option<ForecastCommand>,
    /// What the forecast covers (as `report forecast`)
    #[command(flatten)]
    pub options: ReportOptions,
}

#[derive(Debug, Subcommand)]
pub enum ForecastCommand {
    /// Train the win-probability model on the deals closed so far and judge it out of time
    /// against the stages' own probabilities: AUC, Brier score, reliability, and whether
    /// forecasts will use it.
    Train {
        /// Train as of this instant (YYYY-MM-DD or RFC 3339) [default: now]
        #[arg(long)]
        at: Option<String>,
    },
    /// Forecast from past instants with each method (stage-weighted, model-weighted,
    /// expected, Monte Carlo) and compare with what was won: WAPE, bias and P10–P90
    /// coverage.
    Backtest {
        /// Instants to forecast from (repeatable) [default: the first of the month 6, 5, 4
        /// and 3 months ago]
        #[arg(long)]
        at: Vec<String>,
        /// Months forecast from each instant
        #[arg(long, default_value_t = 3)]
        months: u32,
    },
}

#[derive(Debug, Subcommand)]
pub enum DealCommand {
    /// The deal's win probability under the model in use (from the last `forecast train`),
    /// every factor's signed contribution, and the actions that would raise it.
    Explain {
        /// The deal's id
        id: i64,
        /// As the deal stood at this instant [default: now]
        #[arg(long)]
        at: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// A table (see `embudo tables`) or a report (see `embudo report list`)
    #[arg(required_unless_present = "vendor")]
    pub name: Option<String>,
    /// Write companies, contacts and deals as this CRM exports them (hubspot, pipedrive,
    /// salesforce, activecampaign): one CSV each in the folder -o names
    #[arg(long = "as", value_name = "VENDOR", conflicts_with = "name")]
    pub vendor: Option<String>,
    /// What a report covers (ignored for tables)
    #[command(flatten)]
    pub options: ReportOptions,
    /// Write to this file (needed for xlsx and parquet) [default: standard output]
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: Option<AuditCommand>,
    /// Only the checks of this entity (contacts, companies, deals, activities)
    #[arg(long)]
    pub entity: Option<String>,
    /// Only this check
    #[arg(long)]
    pub check: Option<String>,
    /// Judge freshness, future dates and inactivity as of this instant [default: now]
    #[arg(long, global = true)]
    pub at: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Who has access to customer data, when they last logged in, what they exported.
    Access,
    /// Records that are the same real contact, company or deal, clustered, with each
    /// pair's probability and every field's contribution.
    Duplicates {
        /// contacts, companies or deals
        #[arg(long, default_value = "contacts")]
        entity: String,
        /// Probability above which a pair is a duplicate
        #[arg(long, default_value_t = embudo_audit::dedupe::DEFAULT_THRESHOLD)]
        threshold: f64,
    },
    /// A check's suggested fixes; with --apply, make them (journaled; undo with `unfix`).
    Fix {
        /// The check, e.g. contacts.email.typo_domain
        check: String,
        /// Change the data (otherwise only show the changes)
        #[arg(long)]
        apply: bool,
    },
    /// Undo a batch of applied fixes.
    Unfix {
        /// The batch id printed by `audit fix --apply`
        batch: i64,
    },
    /// Mark two records as different entities; they are never proposed again.
    NotDuplicate {
        /// contacts, companies or deals
        #[arg(long, default_value = "contacts")]
        entity: String,
        a: i64,
        b: i64,
    },
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// contacts, companies or deals
    #[arg(long, default_value = "contacts")]
    pub entity: String,
    /// The records to merge, comma-separated
    #[arg(long, value_delimiter = ',', conflicts_with_all = ["cluster", "auto"], required_unless_present_any = ["cluster", "auto"])]
    pub ids: Vec<i64>,
    /// A cluster id from `embudo audit duplicates`
    #[arg(long, conflicts_with = "auto")]
    pub cluster: Option<usize>,
    /// Merge every cluster at least --min-confidence sure
    #[arg(long)]
    pub auto: bool,
    /// Lowest cluster confidence --auto merges
    #[arg(long, default_value_t = 0.99)]
    pub min_confidence: f64,
    /// The record to keep
    #[arg(long)]
    pub survivor: Option<i64>,
    /// Show what would change, and change nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to build the demo store (default embudo-demo.duckdb; `--db PATH` says the same)
    #[arg(long, value_name = "PATH")]
    pub path: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Which benchmarks: store (generation and raw queries), metrics, reports, audit, import
    /// (a contacts CSV of 10k/1M/10M rows at small/medium/large), forecast (the model
    /// against the generated future, the backtest, scoring a million open deals; run on its
    /// own), serve (fifty clients on the API for thirty seconds; on its own), monitor (a
    /// thousand alert rules judged in one pass; on its own), or all
    #[arg(default_value = "all")]
    pub suite: BenchSuite,

    /// Scale of the store generated for the benchmarks
    #[arg(long, default_value = "medium")]
    pub scale: embudo_synth::Scale,

    /// Measure an existing store instead of generating one (read-only)
    #[arg(long, value_name = "PATH")]
    pub store: Option<PathBuf>,

    /// Measure a second existing store the same way, after --store, and print both
    /// stores' seconds side by side with the second's over the first's: how time grows
    /// with size (`--store large.duckdb --beside xlarge.duckdb`)
    #[arg(
        long,
        value_name = "PATH",
        requires = "store",
        conflicts_with = "backend"
    )]
    pub beside: Option<PathBuf>,

    /// postgres: measure on DuckDB, then the same on the PostgreSQL server `--db` names
    /// (databases of the bench's own are created beside it and dropped), side by side.
    /// Not for the forecast and monitor suites
    #[arg(long, value_enum, default_value = "duckdb")]
    pub backend: Backend,

    /// metrics: time each metric over one year beside its hand-written reference query
    /// (bench/metric_reference.toml) on the same connection, seven runs each (up to 41 for
    /// a metric of a few milliseconds, for a steady median): the medians,
    /// their ratio, and whether both give the same number; the worst ten and the total last.
    /// Then the same year by month (bench/metric_reference_monthly.toml), and by month with
    /// one dimension (bench/metric_reference_split.toml), cell by cell, each with its summary
    #[arg(long)]
    pub vs_sql: bool,
}

/// The engine a benchmark compares DuckDB with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    Duckdb,
    Postgres,
}

/// Groups of benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchSuite {
    All,
    Store,
    Metrics,
    Reports,
    Audit,
    Import,
    Forecast,
    Serve,
    Monitor,
}

fn parse_rate(text: &str) -> Result<f64, String> {
    let rate: f64 = text
        .parse()
        .map_err(|_| format!("'{text}' is not a number"))?;
    if (0.0..=1.0).contains(&rate) {
        Ok(rate)
    } else {
        Err(format!("{rate} is not between 0 and 1"))
    }
}
