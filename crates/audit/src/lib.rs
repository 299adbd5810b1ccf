//! The data audit: what is wrong in the customer data, and how sure we are.
//!
//! - [`checks`]: every check (completeness, validity, consistency, integrity, freshness,
//!   uniqueness), each a stable id, an entity, a severity and the failing rows with samples
//!   and suggested fixes.
//! - [`dedupe`]: duplicate records: normalisation, blocking, Fellegi–Sunter scoring with
//!   EM, clustering; pairs marked as not duplicates stay that way.
//! - [`email`]: address syntax, typo domains, role and disposable addresses.
//! - [`fix`]: applying a check's suggested values on request, journaled, and undoing them.
//! - [`labels`]: canonical labels and their near-misses.
//! - [`merge`]: merging duplicates into a survivor, journaled, and undoing it exactly.
//! - [`phone`]: phone numbers judged for their country, with the E.164 form as the fix.
//! - [`vocab`]: the reference vocabularies shipped in the binary (countries, industries).
//! - [`score`]: the data-quality score per entity and dimension, kept per run.
//! - [`access`]: who can reach customer data and what they did with it.
//!
//! The checks and the duplicate finder only read customer data; merges change it, always
//! journaled and reversible.

pub mod access;
pub mod checks;
pub mod dedupe;
pub mod email;
pub mod fix;
pub mod labels;
pub mod merge;
pub mod phone;
pub mod score;
pub mod vocab;

use serde::Serialize;

/// How much a failing check matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
}

/// The quality dimension a check measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dimension {
    Completeness,
    Validity,
    Uniqueness,
    Consistency,
    Integrity,
    Freshness,
}

impl Dimension {
    pub const ALL: [Dimension; 6] = [
        Dimension::Completeness,
        Dimension::Validity,
        Dimension::Uniqueness,
        Dimension::Consistency,
        Dimension::Integrity,
        Dimension::Freshness,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Completeness => "completeness",
            Dimension::Validity => "validity",
            Dimension::Uniqueness => "uniqueness",
            Dimension::Consistency => "consistency",
            Dimension::Integrity => "integrity",
            Dimension::Freshness => "freshness",
        }
    }
}

/// One offending row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sample {
    pub id: i64,
    pub value: serde_json::Value,
    /// The corrected value, where the check can tell.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// The fix as a person reads it, where `fix` is a record's id: `Pro Max (#7)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix_shown: Option<String>,
}

impl Sample {
    /// What the fix writes, in words: the record it links to by name, else the value.
    pub fn fix_text(&self) -> Option<&str> {
        self.fix_shown.as_deref().or(self.fix.as_deref())
    }
}

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub id: &'static str,
    pub entity: &'static str,
    #[serde(skip)]
    pub dimension: Dimension,
    pub severity: Severity,
    #[serde(skip)]
    pub description: &'static str,
    pub failing: u64,
    pub total: u64,
    pub pct: f64,
    pub samples: Vec<Sample>,
    /// What the suggested fix does, for checks that have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<&'static str>,
    /// What the check found worth saying that is no failure (a vocabulary of the user's own).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Every failing row, with its suggested value if any.
    #[serde(skip)]
    pub rows: Vec<Sample>,
}

/// What went wrong auditing.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] embudo_store::StoreError),
}
