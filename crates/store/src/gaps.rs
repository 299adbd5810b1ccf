//! Gaps in the data that make reports wrong or empty without anything looking amiss: won
//! and lost deals with no close date, won deals with no amount, deals with no owner, leads
//! with no lead date, won deals with no contact. An import counts them in its summary; a
//! report that leans on the missing field says so in a note.

use crate::error::Result;
use crate::store::Store;

/// One kind of gap: how to count it and which reports it affects.
#[derive(Debug, Clone, Copy)]
pub struct Gap {
    /// Stable name, also the key of the report note that explains it.
    pub id: &'static str,
    /// What is missing, in English, for the import summary.
    pub what: &'static str,
    /// What it does to the reports.
    pub effect: &'static str,
    /// `SELECT count(*)` of the rows with the gap.
    sql: &'static str,
    /// The canned reports whose figures it leaves out or makes wrong.
    pub reports: &'static [&'static str],
}

/// Every gap Embudo counts.
pub const GAPS: &[Gap] = &[
    Gap {
        id: "closed_without_date",
        what: "won or lost deals have no close date",
        effect: "they are left out of revenue, won and lost counts, cycle lengths and forecast training",
        sql: "SELECT count(*) FROM deals WHERE deleted_at IS NULL AND merged_into_id IS NULL
               AND status IN ('won', 'lost') AND closed_at IS NULL",
        reports: &[
            "sales_performance",
            "profitability",
            "sales_cycle",
            "lost_deals",
            "forecast",
            "conversion",
            "lead_sources",
            "customers",
            "goals",
        ],
    },
    Gap {
        id: "won_without_amount",
        what: "won deals have no amount",
        effect: "they count as won but bring no revenue",
        sql: "SELECT count(*) FROM deals WHERE deleted_at IS NULL AND merged_into_id IS NULL
               AND status = 'won' AND amount IS NULL",
        reports: &[
            "sales_performance",
            "profitability",
            "forecast",
            "customers",
            "goals",
        ],
    },
    Gap {
        id: "deals_without_owner",
        what: "deals have no owner",
        effect: "they are in no rep's or team's figures",
        sql: "SELECT count(*) FROM deals WHERE deleted_at IS NULL AND merged_into_id IS NULL
               AND owner_id IS NULL",
        reports: &["sales_performance", "pipeline", "goals", "activity"],
    },
    Gap {
        id: "leads_without_date",
        what: "contacts at lead stage or beyond have no lead date",
        effect: "they are not counted as leads, so conversion by source misses them",
        sql: "SELECT count(*) FROM contacts WHERE deleted_at IS NULL AND merged_into_id IS NULL
               AND lead_at IS NULL
               AND lower(lifecycle_stage) IN ('lead', 'mql', 'sql', 'opportunity', 'customer', 'evangelist')",
        reports: &["conversion", "lead_sources"],
    },
    Gap {
        id: "won_without_contact",
        what: "won deals name no contact",
        effect: "no contact becomes a customer through them, so conversion and customer counts miss them",
        sql: "SELECT count(*) FROM deals WHERE deleted_at IS NULL AND merged_into_id IS NULL
               AND status = 'won' AND contact_id IS NULL",
        reports: &["conversion", "lead_sources", "customers"],
    },
];

/// A gap found: how many rows have it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Found {
    pub gap: &'static str,
    pub rows: u64,
    /// "412 won or lost deals have no close date: they are left out of …"
    pub message: String,
    pub reports: &'static [&'static str],
}

impl Gap {
    /// How many rows of the store have this gap.
    pub fn count(&self, store: &Store) -> Result<u64> {
        let counted = store.query_with(self.sql, &[])?;
        Ok(counted.rows[0][0].as_u64().unwrap_or(0))
    }
}

/// Every gap the store has, with its count.
pub fn find(store: &Store) -> Result<Vec<Found>> {
    let mut found = Vec::new();
    for gap in GAPS {
        let rows = gap.count(store)?;
        if rows > 0 {
            found.push(Found {
                gap: gap.id,
                rows,
                message: format!("{rows} {}: {}", gap.what, gap.effect),
                reports: gap.reports,
            });
        }
    }
    Ok(found)
}

/// The gaps that affect `report`, with their counts.
pub fn affecting(store: &Store, report: &str) -> Result<Vec<(&'static Gap, u64)>> {
    let mut found = Vec::new();
    for gap in GAPS.iter().filter(|g| g.reports.contains(&report)) {
        let rows = gap.count(store)?;
        if rows > 0 {
            found.push((gap, rows));
        }
    }
    Ok(found)
}
