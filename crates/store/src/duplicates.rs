//! What the duplicate finder reads — live contacts, companies and deals with the fields it
//! compares — and the pairs a person said are not duplicates (`not_duplicates`). Which
//! records are duplicates is the audit's decision.

use crate::error::Result;
use crate::query::Param;
use crate::store::Store;
use serde::Deserialize;

/// A live contact with the fields the finder compares.
#[derive(Debug, Clone, Deserialize)]
pub struct ContactLook {
    pub id: i64,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company_id: Option<i64>,
    /// Seconds since the epoch.
    pub created: Option<i64>,
    pub street: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub birth_date: Option<String>,
}

/// A live company with the fields the finder compares.
#[derive(Debug, Clone, Deserialize)]
pub struct CompanyLook {
    pub id: i64,
    pub name: Option<String>,
    pub domain: Option<String>,
    pub phone: Option<String>,
    pub country: Option<String>,
    pub city: Option<String>,
}

/// A live deal with the fields the finder compares.
#[derive(Debug, Clone, Deserialize)]
pub struct DealLook {
    pub id: i64,
    pub name: Option<String>,
    pub contact_id: Option<i64>,
    pub amount: Option<f64>,
    /// Seconds since the epoch.
    pub created: Option<i64>,
    pub company_id: Option<i64>,
    pub owner_id: Option<i64>,
}

impl Store {
    /// Every live contact, in id order.
    pub fn contact_looks(&self) -> Result<Vec<ContactLook>> {
        let created = self.dialect().epoch_seconds("created_at");
        self.records(
            &format!(
                "SELECT id, first_name, last_name, email, phone, company_id, {created} AS created,
                        street, postal_code, city, CAST(birth_date AS VARCHAR) AS birth_date
                   FROM live_contacts ORDER BY id"
            ),
            &[],
        )
    }

    /// Every live company, in id order.
    pub fn company_looks(&self) -> Result<Vec<CompanyLook>> {
        self.records(
            "SELECT id, name, domain, phone, country, city FROM live_companies ORDER BY id",
            &[],
        )
    }

    /// Every live deal, in id order.
    pub fn deal_looks(&self) -> Result<Vec<DealLook>> {
        let created = self.dialect().epoch_seconds("created_at");
        self.records(
            &format!(
                "SELECT id, name, contact_id, amount, {created} AS created, company_id, owner_id
                   FROM live_deals ORDER BY id"
            ),
            &[],
        )
    }

    /// The pairs of `table` (lower id first) a person marked as different records.
    pub fn not_duplicates(&self, table: &str) -> Result<Vec<(i64, i64)>> {
        #[derive(Deserialize)]
        struct Pair {
            low_id: i64,
            high_id: i64,
        }
        let pairs: Vec<Pair> = self.records(
            "SELECT low_id, high_id FROM not_duplicates WHERE entity = ?",
            &[Param::Text(table.to_owned())],
        )?;
        Ok(pairs.into_iter().map(|p| (p.low_id, p.high_id)).collect())
    }

    /// Mark rows `a` and `b` of `table` as different records, for good.
    pub fn mark_not_duplicate(&self, table: &str, a: i64, b: i64) -> Result<()> {
        self.execute_with(
            "INSERT INTO not_duplicates (entity, low_id, high_id) VALUES (?, ?, ?)
             ON CONFLICT DO NOTHING",
            &[
                Param::Text(table.to_owned()),
                Param::Int(a.min(b)),
                Param::Int(a.max(b)),
            ],
        )?;
        Ok(())
    }
}
