//! The rows the audit's data-quality checks judge, and the audit's own tables: the scores
//! of each run (`audit_runs`) and the labels an import declared (`declared_labels`). Which
//! rows fail and why is the audit's decision; where a condition is plain SQL, its failing
//! rows are found here ([`Failing`]).
//!
//! Table and column names reach SQL only as `&'static str` from the audit's fixed list of
//! checks, or from the enums below.

use crate::error::Result;
use crate::query::Param;
use crate::store::Store;
use chrono::NaiveDateTime;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A row a check judges: its id, the value judged and, for the checks that judge a value by
/// its record's country, the country.
#[derive(Debug, Clone, Deserialize)]
pub struct Judged {
    pub id: i64,
    pub value: Value,
    #[serde(default)]
    pub country: Option<String>,
}

/// A label and how many live rows use it.
#[derive(Debug, Clone, Deserialize)]
pub struct LabelUse {
    pub label: String,
    pub uses: u64,
}

/// A country and a region written together on a live row.
#[derive(Debug, Clone, Deserialize)]
pub struct Place {
    pub country: String,
    pub region: String,
}

/// A row's id and, where it has one, how people know it.
#[derive(Debug, Clone, Deserialize)]
pub struct RecordName {
    pub id: i64,
    pub name: Option<String>,
}

/// A condition whose failing rows plain SQL finds, each row with the value shown beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failing {
    ContactsWithoutEmailOrPhone,
    DealsPastFirstStageWithoutAmount,
    OpenDealsPastFirstStageWithoutExpectedClose,
    LostDealsWithoutReason,
    WonDealsWithoutAmount,
    DealsWithoutContactOrCompany,
    ContactsWithoutCompany,
    ActivitiesWithoutRelations,
    BouncedEmails,
    BirthDatesInTheFuture,
    DealsClosedBeforeCreated,
    DealsExpectedBeforeCreated,
    ClosedAtAgainstStatus,
    ContactsOfMissingCompanies,
    DealsOfMissingContacts,
    ActivitiesOfMissingDeals,
    StaleContacts,
    FormsSentTwice,
}

impl Failing {
    /// The query: `id` and `value` of each failing row; `?` is the audit's instant where the
    /// condition reads it.
    fn sql(self) -> &'static str {
        match self {
            Failing::ContactsWithoutEmailOrPhone => {
                "SELECT id, NULL AS value FROM live_contacts WHERE email IS NULL AND phone IS NULL"
            }
            Failing::DealsPastFirstStageWithoutAmount => {
                "SELECT d.id, NULL AS value FROM live_deals d JOIN stages s ON s.id = d.stage_id
                  WHERE s.position > 1 AND d.amount IS NULL"
            }
            Failing::OpenDealsPastFirstStageWithoutExpectedClose => {
                "SELECT d.id, NULL AS value FROM live_deals d JOIN stages s ON s.id = d.stage_id
                  WHERE s.position > 1 AND d.status = 'open' AND d.expected_close_date IS NULL"
            }
            Failing::LostDealsWithoutReason => {
                "SELECT id, NULL AS value FROM live_deals WHERE status = 'lost' AND lost_reason IS NULL"
            }
            Failing::WonDealsWithoutAmount => {
                "SELECT id, name AS value FROM live_deals WHERE status = 'won' AND amount IS NULL"
            }
            Failing::DealsWithoutContactOrCompany => {
                "SELECT id, name AS value FROM live_deals WHERE contact_id IS NULL AND company_id IS NULL"
            }
            Failing::ContactsWithoutCompany => {
                "SELECT id, concat_ws(' ', first_name, last_name) AS value FROM live_contacts
                  WHERE company_id IS NULL AND EXISTS (SELECT 1 FROM live_companies)"
            }
            Failing::ActivitiesWithoutRelations => {
                "SELECT id, type AS value FROM activities
                  WHERE deal_id IS NULL AND contact_id IS NULL AND company_id IS NULL"
            }
            Failing::BouncedEmails => {
                "SELECT id, email AS value FROM live_contacts WHERE email_status = 'bounced'"
            }
            Failing::BirthDatesInTheFuture => {
                "SELECT id, CAST(birth_date AS VARCHAR) AS value FROM live_contacts
                  WHERE birth_date > CAST(? AS DATE)"
            }
            Failing::DealsClosedBeforeCreated => {
                "SELECT id, CAST(closed_at AS VARCHAR) AS value FROM live_deals
                  WHERE closed_at < created_at AND NOT coalesce(created_at_inferred, false)"
            }
            Failing::DealsExpectedBeforeCreated => {
                "SELECT id, CAST(expected_close_date AS VARCHAR) AS value FROM live_deals
                  WHERE expected_close_date < CAST(created_at AS DATE)"
            }
            Failing::ClosedAtAgainstStatus => {
                "SELECT id, status AS value FROM live_deals
                  WHERE ((status <> 'open') <> (closed_at IS NOT NULL))"
            }
            Failing::ContactsOfMissingCompanies => {
                "SELECT c.id, c.company_id AS value FROM live_contacts c
                   LEFT JOIN live_companies co ON co.id = c.company_id
                  WHERE c.company_id IS NOT NULL AND co.id IS NULL"
            }
            Failing::DealsOfMissingContacts => {
                "SELECT d.id, d.contact_id AS value FROM live_deals d
                   LEFT JOIN live_contacts c ON c.id = d.contact_id
                  WHERE d.contact_id IS NOT NULL AND c.id IS NULL"
            }
            Failing::ActivitiesOfMissingDeals => {
                "SELECT a.id, a.deal_id AS value FROM activities a
                   LEFT JOIN live_deals d ON d.id = a.deal_id
                  WHERE a.deal_id IS NOT NULL AND d.id IS NULL"
            }
            Failing::StaleContacts => {
                "SELECT id, CAST(updated_at AS VARCHAR) AS value FROM live_contacts
                  WHERE updated_at < CAST(? AS TIMESTAMP) - INTERVAL '730 days'"
            }
            // The later of two records with one address created within 15 minutes.
            Failing::FormsSentTwice => {
                "SELECT b.id, b.email AS value FROM live_contacts c JOIN live_contacts b
                     ON lower(trim(b.email)) = lower(trim(c.email)) AND b.id <> c.id
                    AND b.created_at >= c.created_at
                    AND b.created_at < c.created_at + INTERVAL '15 minutes'
                    AND (b.created_at > c.created_at OR b.id > c.id)
                  GROUP BY b.id, b.email"
            }
        }
    }

    fn reads_instant(self) -> bool {
        matches!(
            self,
            Failing::BirthDatesInTheFuture | Failing::StaleContacts
        )
    }
}

/// A small reference table whose rows' names the audit compares, each with how often the
/// records point at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference {
    Products,
    Pipelines,
    Stages,
}

impl Reference {
    /// `id`, `group` (names compare within one), `name`, `uses`.
    fn sql(self) -> &'static str {
        match self {
            Reference::Products => {
                "SELECT p.id, 0 AS \"group\", p.name,
                        (SELECT count(*) FROM deals d WHERE d.product_id = p.id)
                      + (SELECT count(*) FROM order_lines l WHERE l.product_id = p.id)
                      + (SELECT count(*) FROM subscriptions s WHERE s.product_id = p.id) AS uses
                   FROM products p WHERE p.name IS NOT NULL"
            }
            Reference::Pipelines => {
                "SELECT p.id, 0 AS \"group\", p.name,
                        (SELECT count(*) FROM deals d WHERE d.pipeline_id = p.id) AS uses
                   FROM pipelines p WHERE p.name IS NOT NULL"
            }
            Reference::Stages => {
                "SELECT s.id, s.pipeline_id AS \"group\", s.name,
                        (SELECT count(*) FROM deal_stage_history h WHERE h.stage_id = s.id) AS uses
                   FROM stages s WHERE s.name IS NOT NULL"
            }
        }
    }

    pub fn table(self) -> &'static str {
        match self {
            Reference::Products => "products",
            Reference::Pipelines => "pipelines",
            Reference::Stages => "stages",
        }
    }
}

/// The audit's score of one entity on one dimension in a run.
#[derive(Debug, Clone)]
pub struct RunScore<'a> {
    pub entity: &'a str,
    pub dimension: &'a str,
    pub score: f64,
    pub failing: u64,
    pub rows: u64,
}

/// A run's overall score.
#[derive(Debug, Clone, Deserialize)]
pub struct RunOverall {
    pub ran_at: String,
    pub score: Option<f64>,
}

/// The rows of `table` the audit reads: the live ones (neither deleted nor merged) where
/// rows can be deleted or merged, else all of them.
fn live(table: &'static str) -> &'static str {
    match table {
        "contacts" => "live_contacts",
        "companies" => "live_companies",
        "deals" => "live_deals",
        other => other,
    }
}

/// How a row of `table` is known: a contact by first and last name, others by name.
fn name_of(table: &'static str) -> &'static str {
    match table {
        "contacts" => "concat_ws(' ', first_name, last_name)",
        _ => "name",
    }
}

impl Store {
    /// The rows `condition` fails, with `as_of` the instant it judges from.
    pub fn failing(&self, condition: Failing, as_of: NaiveDateTime) -> Result<Vec<Judged>> {
        let params = if condition.reads_instant() {
            vec![Param::Timestamp(as_of)]
        } else {
            Vec::new()
        };
        self.records(condition.sql(), &params)
    }

    /// How many rows of `table` the audit reads (its live ones).
    pub fn audited_rows(&self, table: &'static str) -> Result<u64> {
        Ok(self
            .value(&format!("SELECT count(*) FROM {}", live(table)), &[])?
            .unwrap_or(0))
    }

    /// Live rows of `table` with `column` filled, the column as the value; with the row's
    /// country when `with_country`.
    pub fn filled(
        &self,
        table: &'static str,
        column: &'static str,
        with_country: bool,
    ) -> Result<Vec<Judged>> {
        let country = if with_country { ", country" } else { "" };
        self.records(
            &format!(
                "SELECT id, {column} AS value{country} FROM {} WHERE {column} IS NOT NULL",
                live(table)
            ),
            &[],
        )
    }

    /// Live rows of `table` whose `column` is one of `labels`, the column as the value: the
    /// rows of the labels a check fails, found by the engine rather than by reading every
    /// row (ten million activities' types).
    pub fn labelled(
        &self,
        table: &'static str,
        column: &'static str,
        labels: &[&str],
    ) -> Result<Vec<Judged>> {
        if labels.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders = vec!["?"; labels.len()].join(", ");
        let params: Vec<Param> = labels
            .iter()
            .map(|l| Param::Text((*l).to_owned()))
            .collect();
        self.records(
            &format!(
                "SELECT id, {column} AS value FROM {} WHERE {column} IN ({placeholders})",
                live(table)
            ),
            &params,
        )
    }

    /// The distinct values of `column` in live rows of `table`.
    pub fn distinct_values(
        &self,
        table: &'static str,
        column: &'static str,
    ) -> Result<Vec<String>> {
        self.values(
            &format!(
                "SELECT DISTINCT {column} FROM {} WHERE {column} IS NOT NULL",
                live(table)
            ),
            &[],
        )
    }

    /// Each label of `column` in live rows of `table`, with how many rows use it.
    pub fn label_uses(&self, table: &'static str, column: &'static str) -> Result<Vec<LabelUse>> {
        self.records(
            &format!(
                "SELECT {column} AS label, count(*) AS uses FROM {}
                  WHERE {column} IS NOT NULL GROUP BY 1",
                live(table)
            ),
            &[],
        )
    }

    /// Each (country, region) written together on live rows of `table`.
    pub fn places(&self, table: &'static str) -> Result<Vec<Place>> {
        self.records(
            &format!(
                "SELECT DISTINCT country, region FROM {}
                  WHERE country IS NOT NULL AND region IS NOT NULL",
                live(table)
            ),
            &[],
        )
    }

    /// Live rows of `table` whose `column` is negative or absurdly large, judged on the
    /// orders of magnitude (log10) of the column's non-zero values: three orders above their
    /// median, or one order above it with a modified z-score over 3.5 (the distance from
    /// the median over 1.4826 × the median absolute deviation).
    pub fn absurd(&self, table: &'static str, column: &'static str) -> Result<Vec<Judged>> {
        let dialect = self.dialect();
        let (median, spread) = (
            dialect.median("l"),
            dialect.median("abs(l - (SELECT m FROM centre))"),
        );
        let rows = live(table);
        self.records(
            &format!(
                "WITH scale AS (SELECT log10({column}) AS l FROM {rows} WHERE {column} > 0),
                      centre AS (SELECT {median} AS m FROM scale),
                      spread AS (SELECT {spread} * 1.4826 AS s FROM scale)
                 SELECT r.id, r.{column} AS value FROM {rows} r, centre, spread
                  WHERE (r.{column} < 0
                     OR (r.{column} > 0 AND (log10(r.{column}) - m >= 3
                         OR (log10(r.{column}) - m >= 1 AND s > 0
                             AND (log10(r.{column}) - m) / s > 3.5))))"
            ),
            &[],
        )
    }

    /// The rows of a reference table with their group, name and uses, read into the
    /// caller's type (fields `id`, `group`, `name`, `uses`).
    pub fn reference_uses<T: DeserializeOwned>(&self, table: Reference) -> Result<Vec<T>> {
        self.records(table.sql(), &[])
    }

    /// Live rows of `table` whose reference `column` is empty while an import kept its text
    /// under `custom.unresolved.<key>`: that text is the value.
    pub fn unresolved(
        &self,
        table: &'static str,
        key: &'static str,
        column: &'static str,
    ) -> Result<Vec<Judged>> {
        let text = self.dialect().json_text("custom", &["unresolved", key]);
        self.records(
            &format!(
                "SELECT id, {text} AS value FROM {}
                  WHERE {column} IS NULL AND {text} IS NOT NULL",
                live(table)
            ),
            &[],
        )
    }

    /// Every live row of `table` with how it is known.
    pub fn live_names(&self, table: &'static str) -> Result<Vec<RecordName>> {
        self.records(
            &format!("SELECT id, {} AS name FROM {}", name_of(table), live(table)),
            &[],
        )
    }

    /// How the rows `ids` of `table` are known, a thousand bound ids at a time.
    pub fn names_of(&self, table: &'static str, ids: &[i64]) -> Result<Vec<RecordName>> {
        let mut named = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(1_000) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let params: Vec<Param> = chunk.iter().map(|&id| Param::Int(id)).collect();
            named.extend(self.records::<RecordName>(
                &format!(
                    "SELECT id, {} AS name FROM {table} WHERE id IN ({marks})",
                    name_of(table)
                ),
                &params,
            )?);
        }
        Ok(named)
    }

    /// The companies' domains, lower case and without `www.`.
    pub fn company_domains(&self) -> Result<Vec<String>> {
        self.values(
            "SELECT DISTINCT lower(regexp_replace(domain, '^www\\.', '')) FROM companies
              WHERE domain IS NOT NULL",
            &[],
        )
    }

    /// The e-mail domains at least `contacts` contacts use, lower case.
    pub fn email_domains_used(&self, contacts: u64) -> Result<Vec<String>> {
        self.values(
            "SELECT lower(split_part(email, '@', -1)) AS d FROM contacts WHERE email LIKE '%@%'
              GROUP BY 1 HAVING count(*) >= ?",
            &[Param::Int(contacts as i64)],
        )
    }

    /// The labels an import mapping declared for `field` (`entity.column`), in order.
    pub fn declared_labels(&self, field: &str) -> Result<Vec<String>> {
        self.values(
            "SELECT label FROM declared_labels WHERE field = ? ORDER BY label",
            &[Param::Text(field.to_owned())],
        )
    }

    /// Keep a run's scores; returns the run's id.
    pub fn record_audit_run(&self, ran_at: NaiveDateTime, scores: &[RunScore]) -> Result<i64> {
        let run = self.next_id("audit_runs")?;
        for score in scores {
            self.execute_with(
                "INSERT INTO audit_runs (run_id, ran_at, entity, dimension, score, failing, total)
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
                &[
                    Param::Int(run),
                    Param::Timestamp(ran_at),
                    Param::Text(score.entity.to_owned()),
                    Param::Text(score.dimension.to_owned()),
                    Param::Float(score.score),
                    Param::Int(score.failing as i64),
                    Param::Int(score.rows as i64),
                ],
            )?;
        }
        Ok(run)
    }

    /// The overall score of the latest `runs` runs, newest first: the mean over entities of
    /// the mean over their dimensions, each rounded to one decimal.
    pub fn audit_history(&self, runs: usize) -> Result<Vec<RunOverall>> {
        let mean = self.dialect().round("avg(score)", 1);
        self.records(
            &format!(
                "WITH entities AS (
                     SELECT run_id, ran_at, entity, {mean} AS score
                       FROM audit_runs GROUP BY run_id, ran_at, entity)
                 SELECT CAST(ran_at AS VARCHAR) AS ran_at, {mean} AS score FROM entities
                  GROUP BY run_id, ran_at ORDER BY run_id DESC LIMIT ?"
            ),
            &[Param::Int(runs as i64)],
        )
    }
}
