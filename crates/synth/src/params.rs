//! What to generate and the true rates the simulation uses.

use chrono::NaiveDateTime;
use embudo_model::labels::LeadSource;
use std::fmt;
use std::str::FromStr;

/// How big a business to simulate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// About 2k contacts: demos and tests.
    Small,
    /// About 100k contacts: statistics that hold.
    Medium,
    /// About 1M contacts and 10M activities: benchmarks.
    Large,
    /// About 10M contacts, 10M deals and 100M activities: how time grows with size (minutes
    /// to generate, some 10 GB on disk; not for tests).
    XLarge,
}

impl Scale {
    pub fn as_str(self) -> &'static str {
        match self {
            Scale::Small => "small",
            Scale::Medium => "medium",
            Scale::Large => "large",
            Scale::XLarge => "xlarge",
        }
    }

    /// The approximate row counts of this scale.
    pub fn sizes(self) -> Sizes {
        match self {
            Scale::Small => Sizes {
                teams: 3,
                users: 20,
                companies: 500,
                contacts: 2_000,
                deals: 1_500,
                activities: 15_000,
                campaigns: 24,
                campaign_events: 20_000,
                web_visits: 20_000,
                orders: 600,
                tickets: 1_000,
                service_calls: 2_000,
            },
            Scale::Medium => Sizes {
                teams: 8,
                users: 100,
                companies: 20_000,
                contacts: 100_000,
                deals: 50_000,
                activities: 500_000,
                campaigns: 120,
                campaign_events: 100_000,
                web_visits: 1_000_000,
                orders: 20_000,
                tickets: 25_000,
                service_calls: 50_000,
            },
            Scale::Large => Sizes {
                teams: 30,
                users: 500,
                companies: 200_000,
                contacts: 1_000_000,
                deals: 1_000_000,
                activities: 10_000_000,
                campaigns: 600,
                campaign_events: 1_000_000,
                web_visits: 10_000_000,
                orders: 200_000,
                tickets: 500_000,
                service_calls: 1_000_000,
            },
            // Ten times large where records grow with the business; the people and the
            // campaigns grow less, as a business ten times larger does not have ten times
            // the campaigns; web visits three times (they are not what the issue sizes).
            Scale::XLarge => Sizes {
                teams: 60,
                users: 2_000,
                companies: 2_000_000,
                contacts: 10_000_000,
                deals: 10_000_000,
                activities: 100_000_000,
                campaigns: 1_200,
                campaign_events: 10_000_000,
                web_visits: 30_000_000,
                orders: 2_000_000,
                tickets: 5_000_000,
                service_calls: 10_000_000,
            },
        }
    }
}

impl FromStr for Scale {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "small" => Ok(Scale::Small),
            "medium" => Ok(Scale::Medium),
            "large" => Ok(Scale::Large),
            "xlarge" => Ok(Scale::XLarge),
            other => Err(format!(
                "unknown scale '{other}': use small, medium, large or xlarge"
            )),
        }
    }
}

impl fmt::Display for Scale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Target row counts; tables not listed follow from these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    pub teams: usize,
    pub users: usize,
    pub companies: usize,
    pub contacts: usize,
    pub deals: usize,
    pub activities: usize,
    pub campaigns: usize,
    pub campaign_events: usize,
    pub web_visits: usize,
    pub orders: usize,
    pub tickets: usize,
    pub service_calls: usize,
}

/// Everything that determines the output: the same params give the same rows.
#[derive(Debug, Clone)]
pub struct Params {
    pub scale: Scale,
    pub seed: u64,
    /// The simulated present: history covers the three years before it.
    pub now: NaiveDateTime,
    /// Probability that a record carries a deliberate defect (0: clean data).
    pub defect_rate: f64,
    /// Whether outcomes follow the signals a CRM records. Without, each deal's ending is a
    /// coin flip independent of everything recorded about it — its path, activity and
    /// changes are simulated for an outcome drawn separately — so a forecast has nothing
    /// to learn (the test that it then claims no skill).
    pub signal: bool,
}

/// The win rate of deals when outcomes carry no signal.
pub const NO_SIGNAL_WIN_RATE: f64 = 0.4;

/// Share of leads by source, and the probability that a lead of that source becomes a
/// customer. Email leads convert at 17% and paid-ads leads at 3%; organic leads are 60%.
pub const SOURCES: &[(LeadSource, f64, f64)] = &[
    (LeadSource::Organic, 0.60, 0.10),
    (LeadSource::Email, 0.10, 0.17),
    (LeadSource::PaidAds, 0.08, 0.03),
    (LeadSource::Referral, 0.07, 0.24),
    (LeadSource::Social, 0.06, 0.06),
    (LeadSource::Event, 0.04, 0.12),
    (LeadSource::Direct, 0.03, 0.09),
    (LeadSource::Partner, 0.015, 0.15),
    (LeadSource::Other, 0.005, 0.05),
];

/// Won referral deals take this share of the time other deals take to close.
pub const REFERRAL_CYCLE_FACTOR: f64 = 0.7;
/// Organic deals are this share of the size of other deals.
pub const ORGANIC_AMOUNT_FACTOR: f64 = 0.85;
/// Share of contacts that become leads (the rest stay newsletter subscribers).
pub const LEAD_SHARE: f64 = 0.85;
/// Share of conversions that come through a won deal; the rest through a first order.
pub const DEAL_CONVERSION_SHARE: f64 = 0.9;
