//! Dimensions, and the sources (tables) measures count rows of, with how each source
//! reaches each dimension it can be split by.
//!
//! Dimension expressions and joins are fixed text of this catalogue: a user names a
//! dimension, never an expression, so nothing a user types reaches SQL except as a bound
//! parameter.

use crate::error::MetricError;
use embudo_store::live;
use serde::Serialize;
use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

/// What a metric can be split or filtered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dim {
    /// The user who owns the record (users.name via owner or agent).
    Owner,
    Team,
    /// The lead source (`source` on deals and visits).
    LeadSource,
    Pipeline,
    Stage,
    Campaign,
    Channel,
    Product,
    ProductLine,
    DealType,
    LostReason,
    Industry,
    Country,
    TicketType,
    Priority,
    ActivityType,
    /// Who bought: the company of a purchase, or its contact's name without one.
    Customer,
}

impl Dim {
    pub const ALL: [Dim; 17] = [
        Dim::Owner,
        Dim::Team,
        Dim::LeadSource,
        Dim::Pipeline,
        Dim::Stage,
        Dim::Campaign,
        Dim::Channel,
        Dim::Product,
        Dim::ProductLine,
        Dim::DealType,
        Dim::LostReason,
        Dim::Industry,
        Dim::Country,
        Dim::TicketType,
        Dim::Priority,
        Dim::ActivityType,
        Dim::Customer,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Dim::Owner => "owner",
            Dim::Team => "team",
            Dim::LeadSource => "lead_source",
            Dim::Pipeline => "pipeline",
            Dim::Stage => "stage",
            Dim::Campaign => "campaign",
            Dim::Channel => "channel",
            Dim::Product => "product",
            Dim::ProductLine => "product_line",
            Dim::DealType => "deal_type",
            Dim::LostReason => "lost_reason",
            Dim::Industry => "industry",
            Dim::Country => "country",
            Dim::TicketType => "ticket_type",
            Dim::Priority => "priority",
            Dim::ActivityType => "activity_type",
            Dim::Customer => "customer",
        }
    }
}

impl FromStr for Dim {
    type Err = MetricError;
    fn from_str(s: &str) -> Result<Dim, MetricError> {
        if s == "source" {
            return Ok(Dim::LeadSource);
        }
        Dim::ALL.into_iter().find(|d| d.name() == s).ok_or_else(|| {
            let names: Vec<&str> = Dim::ALL.iter().map(|d| d.name()).collect();
            MetricError::Invalid(format!(
                "unknown dimension '{s}'; dimensions are {}",
                names.join(", ")
            ))
        })
    }
}

impl fmt::Display for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a source reaches a dimension: an expression, and the joins it needs, in order.
#[derive(Debug)]
pub struct DimExpr {
    pub dim: Dim,
    pub expr: &'static str,
    pub joins: &'static [&'static str],
    /// For the name of a record the source points at (a deal's owner), where to look it
    /// up: a count or sum can then group the rows by the id and read the few names after.
    pub lookup: Option<Lookup>,
}

/// A record's name looked up by the id a source row holds: `SELECT name FROM {table}
/// WHERE id = {id}`.
#[derive(Debug)]
pub struct Lookup {
    /// The source's column holding the record's id (`d.owner_id`).
    pub id: &'static str,
    /// The table of the records, whose `name` the dimension is (`users`).
    pub table: &'static str,
}

/// A table (or join) that measures aggregate rows of.
#[derive(Debug)]
pub struct Source {
    /// The `FROM` item, with the aliases the expressions use; where the source has
    /// [`columns`](Self::columns), a `{columns}` marks where those a statement reads go.
    pub from: &'static str,
    /// Columns of `from` written only into the statements that read them.
    pub columns: &'static [Column],
    /// Of records that can be deleted or merged, the condition of the live ones (those
    /// neither), since the others never count; empty where every row counts.
    pub live: &'static str,
    pub dims: &'static [DimExpr],
    /// How a row of the source is listed behind a figure: records with pages of their own
    /// (deals, contacts) and rows without (campaigns, visits, events) alike.
    pub drill: Drill,
}

/// A column of a source's `from` written only into the statements that read it: a window
/// over every row of the source costs a scan of its own, and DuckDB computes every window
/// listed, read or not (a year's up-sell ratio read the customers' history in 0.18 s with
/// the cross-sell's window beside its own, 0.16 s without).
#[derive(Debug)]
pub struct Column {
    /// The column as statements read it (`ch.pricier`).
    pub name: &'static str,
    /// Its item of the select list, written after a comma.
    pub sql: &'static str,
}

/// A source's row as a record behind a figure: its table (SQL giving `deals`,
/// `contacts`…), its id and its name, with the joins the name needs.
#[derive(Debug)]
pub struct Drill {
    pub table: &'static str,
    pub id: &'static str,
    pub label: &'static str,
    pub joins: &'static [&'static str],
}

const fn drill(table: &'static str, id: &'static str, label: &'static str) -> Drill {
    Drill {
        table,
        id,
        label,
        joins: &[],
    }
}

const CONTACT_NAME: &str = "trim(concat_ws(' ', c.first_name, c.last_name))";

impl Source {
    pub fn dim(&self, dim: Dim) -> Option<&DimExpr> {
        self.dims.iter().find(|d| d.dim == dim)
    }

    /// The `FROM` item for a statement whose SQL is `read`: with those of its columns that
    /// some text of `read` names.
    pub fn from_reading(&self, read: &[&str]) -> Cow<'static, str> {
        if self.columns.is_empty() {
            return Cow::Borrowed(self.from);
        }
        let columns: String = self
            .columns
            .iter()
            .filter(|c| read.iter().any(|text| text.contains(c.name)))
            .map(|c| format!(", {}", c.sql))
            .collect();
        Cow::Owned(self.from.replace("{columns}", &columns))
    }
}

const fn d(dim: Dim, expr: &'static str, joins: &'static [&'static str]) -> DimExpr {
    DimExpr {
        dim,
        expr,
        joins,
        lookup: None,
    }
}

/// A dimension that is the `name` of the record of `table` whose id the source's column
/// `id` holds, reached by `joins`.
const fn named(
    dim: Dim,
    expr: &'static str,
    joins: &'static [&'static str],
    id: &'static str,
    table: &'static str,
) -> DimExpr {
    DimExpr {
        dim,
        expr,
        joins,
        lookup: Some(Lookup { id, table }),
    }
}

const DEAL_OWNER: &str = "LEFT JOIN users own ON own.id = d.owner_id";
const OWNER_TEAM: &str = "LEFT JOIN teams tm ON tm.id = own.team_id";
const DEAL_PIPELINE: &str = "LEFT JOIN pipelines pl ON pl.id = d.pipeline_id";
const DEAL_CAMPAIGN: &str = "LEFT JOIN campaigns cp ON cp.id = d.campaign_id";
const DEAL_PRODUCT: &str = "LEFT JOIN products pr ON pr.id = d.product_id";
const DEAL_COMPANY: &str = "LEFT JOIN companies co ON co.id = d.company_id";

/// The dimensions every deal-based source shares.
macro_rules! deal_dims {
    ($($extra:expr),* $(,)?) => {
        &[
            named(Dim::Owner, "own.name", &[DEAL_OWNER], "d.owner_id", "users"),
            d(Dim::Team, "tm.name", &[DEAL_OWNER, OWNER_TEAM]),
            d(Dim::LeadSource, "d.source", &[]),
            named(Dim::Pipeline, "pl.name", &[DEAL_PIPELINE], "d.pipeline_id", "pipelines"),
            named(Dim::Campaign, "cp.name", &[DEAL_CAMPAIGN], "d.campaign_id", "campaigns"),
            d(Dim::Channel, "cp.channel", &[DEAL_CAMPAIGN]),
            named(Dim::Product, "pr.name", &[DEAL_PRODUCT], "d.product_id", "products"),
            d(Dim::ProductLine, "pr.product_line", &[DEAL_PRODUCT]),
            d(Dim::DealType, "d.deal_type", &[]),
            d(Dim::LostReason, "d.lost_reason", &[]),
            d(Dim::Industry, "co.industry", &[DEAL_COMPANY]),
            d(Dim::Country, "co.country", &[DEAL_COMPANY]),
            $($extra),*
        ]
    };
}

/// A deal's current stage.
const DEAL_STAGE: DimExpr = named(
    Dim::Stage,
    "st.name",
    &["LEFT JOIN stages st ON st.id = d.stage_id"],
    "d.stage_id",
    "stages",
);

pub static DEALS: Source = Source {
    from: "deals d",
    columns: &[],
    live: live!("d"),
    dims: deal_dims![DEAL_STAGE],
    drill: drill("'deals'", "d.id", "d.name"),
};

/// Stage visits with their deal and the stage visited (`hs`).
pub static STAGE_VISITS: Source = Source {
    from: "deal_stage_history h JOIN deals d ON d.id = h.deal_id JOIN stages hs ON hs.id = h.stage_id",
    columns: &[],
    live: live!("d"),
    dims: deal_dims![d(Dim::Stage, "hs.name", &[])],
    drill: drill("'deals'", "d.id", "d.name"),
};

/// The completed calls linked to each deal (`a`), with the deal (`d`): a deal's calls are
/// counted by joining them to the deals in range, not by a count per deal (which scans
/// every activity: a year on a million deals, 136 → 70 ms). Behind the figure, the calls.
pub static DEAL_CALLS: Source = Source {
    from: "deals d JOIN activities a ON a.deal_id = d.id AND a.type = 'call' AND a.completed_at IS NOT NULL",
    columns: &[],
    live: live!("d"),
    dims: deal_dims![DEAL_STAGE],
    drill: drill("'activities'", "a.id", "coalesce(a.subject, a.type)"),
};

/// How a contact's rows reach each dimension, by the contact's own fields.
const CONTACT_DIMS: &[DimExpr] = &[
    named(
        Dim::Owner,
        "own.name",
        &["LEFT JOIN users own ON own.id = c.owner_id"],
        "c.owner_id",
        "users",
    ),
    d(
        Dim::Team,
        "tm.name",
        &["LEFT JOIN users own ON own.id = c.owner_id", OWNER_TEAM],
    ),
    d(Dim::LeadSource, "c.lead_source", &[]),
    d(
        Dim::Campaign,
        "cp.name",
        &["LEFT JOIN campaigns cp ON cp.id = c.first_campaign_id"],
    ),
    d(
        Dim::Channel,
        "cp.channel",
        &["LEFT JOIN campaigns cp ON cp.id = c.first_campaign_id"],
    ),
    d(
        Dim::Industry,
        "co.industry",
        &["LEFT JOIN companies co ON co.id = c.company_id"],
    ),
    d(Dim::Country, "c.country", &[]),
];

pub static CONTACTS: Source = Source {
    from: "contacts c",
    columns: &[],
    live: live!("c"),
    dims: CONTACT_DIMS,
    drill: drill("'contacts'", "c.id", CONTACT_NAME),
};

/// Customers' revenue lines (`ch`), each with what its customer had bought before it
/// ([`HISTORY_COLUMNS`]). Whether the customer had bought anything before a period is their
/// `customer_at`, which the store keeps at their first revenue line: a third window for it
/// took a fifth of the time.
const CUSTOMER_HISTORY: &str = "(SELECT r.contact_id, r.occurred_at{columns}
    FROM revenue_lines r LEFT JOIN products pr ON pr.id = r.product_id
    WHERE r.contact_id IS NOT NULL) ch
JOIN contacts c ON c.id = ch.contact_id";

/// `new_line`, whether a line is the first revenue in its product line; `pricier`, whether
/// its product costs more than every product of its line bought strictly before it. (A
/// product without a line is neither.) Window functions answer these in one pass over the
/// revenue lines, where a subquery per customer and period was quadratic on PostgreSQL.
/// A statement reading both (the customers report asks both ratios) computes them in one
/// scan: 0.25 s, where one each took 0.16 and 0.23.
const HISTORY_COLUMNS: &[Column] = &[
    Column {
        name: "ch.new_line",
        sql: "pr.product_line IS NOT NULL
            AND r.occurred_at = min(r.occurred_at) OVER (PARTITION BY r.contact_id, pr.product_line)
            AS new_line",
    },
    Column {
        name: "ch.pricier",
        sql: "pr.product_line IS NOT NULL AND pr.list_price > max(pr.list_price) OVER (
            PARTITION BY r.contact_id, pr.product_line ORDER BY r.occurred_at
            RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW EXCLUDE GROUP) AS pricier",
    },
];

/// Customers through their revenue lines: each customer is listed once behind a count of
/// distinct customers.
pub static CUSTOMER_REVENUE: Source = Source {
    from: CUSTOMER_HISTORY,
    columns: HISTORY_COLUMNS,
    live: live!("c"),
    dims: CONTACT_DIMS,
    drill: drill("'contacts'", "c.id", CONTACT_NAME),
};

/// Customers' revenue lines, listed as the deals and orders they are, behind a sum. The
/// lines alone, without [`CUSTOMER_HISTORY`]'s windows: a sum over them reads no history
/// (the windows were half of a lifetime value's time).
pub static CUSTOMER_REVENUE_LINES: Source = Source {
    from: "revenue_lines ch JOIN contacts c ON c.id = ch.contact_id",
    columns: &[],
    live: live!("c"),
    dims: CONTACT_DIMS,
    drill: Drill {
        table: "CASE WHEN ch.deal_id IS NULL THEN 'orders' ELSE 'deals' END",
        id: "coalesce(ch.deal_id, ch.order_id)",
        label: "coalesce(chd.name, 'Order ' || ch.order_id)",
        joins: &["LEFT JOIN deals chd ON chd.id = ch.deal_id"],
    },
};

/// New customers split by the campaign of their first revenue line: of the lines at their
/// `customer_at`, which the store keeps at that first line, the deal's before an order's,
/// then the lowest id (imported dates are often whole days, so ties are common). Looking
/// only at that instant reads a line or two per customer, not all their history: a year of
/// new customers on `large` went from 58 to 40 ms.
pub static NEW_CUSTOMERS_BY_CAMPAIGN: Source = Source {
    from: "contacts c",
    columns: &[],
    live: live!("c"),
    dims: &[
        d(
            Dim::Campaign,
            "(SELECT fc.name FROM revenue_lines fr LEFT JOIN campaigns fc ON fc.id = fr.campaign_id
              WHERE fr.contact_id = c.id AND fr.occurred_at = c.customer_at
              ORDER BY fr.deal_id, fr.order_id LIMIT 1)",
            &[],
        ),
        d(Dim::LeadSource, "c.lead_source", &[]),
        d(Dim::Country, "c.country", &[]),
    ],
    drill: drill("'contacts'", "c.id", CONTACT_NAME),
};

const REVENUE_PRODUCT: &str = "LEFT JOIN products pr ON pr.id = r.product_id";
const REVENUE_CAMPAIGN: &str = "LEFT JOIN campaigns cp ON cp.id = r.campaign_id";
const REVENUE_COMPANY: &str = "LEFT JOIN companies co ON co.id = r.company_id";
const REVENUE_OWNER: &str = "LEFT JOIN users own ON own.id = r.owner_id";
const REVENUE_CONTACT: &str = "LEFT JOIN contacts rc ON rc.id = r.contact_id";

/// Who bought a revenue line: its company, or its contact's name for a purchase without
/// one; the store's, so the profitability report's customers are this dimension's.
const REVENUE_CUSTOMER: &str = embudo_store::reporting::REVENUE_CUSTOMER;

pub static REVENUE: Source = Source {
    from: "revenue_lines r",
    columns: &[],
    live: "",
    // The view already leaves out deleted and merged deals and deleted orders.
    dims: &[
        named(
            Dim::Owner,
            "own.name",
            &[REVENUE_OWNER],
            "r.owner_id",
            "users",
        ),
        d(Dim::Team, "tm.name", &[REVENUE_OWNER, OWNER_TEAM]),
        d(Dim::LeadSource, "rc.lead_source", &[REVENUE_CONTACT]),
        named(
            Dim::Campaign,
            "cp.name",
            &[REVENUE_CAMPAIGN],
            "r.campaign_id",
            "campaigns",
        ),
        d(Dim::Channel, "cp.channel", &[REVENUE_CAMPAIGN]),
        named(
            Dim::Product,
            "pr.name",
            &[REVENUE_PRODUCT],
            "r.product_id",
            "products",
        ),
        d(Dim::ProductLine, "pr.product_line", &[REVENUE_PRODUCT]),
        d(Dim::DealType, "r.deal_type", &[]),
        d(
            Dim::Pipeline,
            "pl.name",
            &[
                "LEFT JOIN deals rd ON rd.id = r.deal_id",
                "LEFT JOIN pipelines pl ON pl.id = rd.pipeline_id",
            ],
        ),
        d(Dim::Industry, "co.industry", &[REVENUE_COMPANY]),
        d(Dim::Country, "co.country", &[REVENUE_COMPANY]),
        d(
            Dim::Customer,
            REVENUE_CUSTOMER,
            &[REVENUE_COMPANY, REVENUE_CONTACT],
        ),
    ],
    drill: Drill {
        table: "CASE WHEN r.deal_id IS NULL THEN 'orders' ELSE 'deals' END",
        id: "coalesce(r.deal_id, r.order_id)",
        label: "coalesce(rdn.name, 'Order ' || r.order_id)",
        joins: &["LEFT JOIN deals rdn ON rdn.id = r.deal_id"],
    },
};

pub static ACTIVITIES: Source = Source {
    from: "activities a",
    columns: &[],
    live: "",
    dims: &[
        named(
            Dim::Owner,
            "own.name",
            &["LEFT JOIN users own ON own.id = a.owner_id"],
            "a.owner_id",
            "users",
        ),
        d(
            Dim::Team,
            "tm.name",
            &["LEFT JOIN users own ON own.id = a.owner_id", OWNER_TEAM],
        ),
        d(Dim::ActivityType, "a.type", &[]),
        d(
            Dim::Pipeline,
            "pl.name",
            &[
                "LEFT JOIN deals ad ON ad.id = a.deal_id",
                "LEFT JOIN pipelines pl ON pl.id = ad.pipeline_id",
            ],
        ),
    ],
    drill: drill("'activities'", "a.id", "coalesce(a.subject, a.type)"),
};

const TICKET_AGENT: &str = "LEFT JOIN users own ON own.id = t.agent_id";
const TICKET_COMPANY: &str = "LEFT JOIN companies co ON co.id = t.company_id";

pub static TICKETS: Source = Source {
    from: "tickets t",
    columns: &[],
    live: "",
    dims: &[
        named(
            Dim::Owner,
            "own.name",
            &[TICKET_AGENT],
            "t.agent_id",
            "users",
        ),
        d(Dim::Team, "tm.name", &[TICKET_AGENT, OWNER_TEAM]),
        d(Dim::TicketType, "t.type", &[]),
        d(Dim::Priority, "t.priority", &[]),
        d(Dim::Channel, "t.channel", &[]),
        d(Dim::Industry, "co.industry", &[TICKET_COMPANY]),
        d(Dim::Country, "co.country", &[TICKET_COMPANY]),
    ],
    drill: drill("'tickets'", "t.id", "concat_ws(' ', '#' || t.id, t.type)"),
};

pub static CALLS: Source = Source {
    from: "service_calls sc",
    columns: &[],
    live: "",
    dims: &[
        named(
            Dim::Owner,
            "own.name",
            &["LEFT JOIN users own ON own.id = sc.agent_id"],
            "sc.agent_id",
            "users",
        ),
        d(
            Dim::Team,
            "tm.name",
            &["LEFT JOIN users own ON own.id = sc.agent_id", OWNER_TEAM],
        ),
    ],
    drill: drill("'service_calls'", "sc.id", "'#' || sc.id"),
};

pub static CAMPAIGNS: Source = Source {
    from: "campaigns cm",
    columns: &[],
    live: "",
    dims: &[
        d(Dim::Campaign, "cm.name", &[]),
        d(Dim::Channel, "cm.channel", &[]),
    ],
    drill: drill("'campaigns'", "cm.id", "cm.name"),
};

const EVENT_CAMPAIGN: &str = "LEFT JOIN campaigns cm ON cm.id = ce.campaign_id";

/// Campaign events, their campaign joined only for a split, a filter or a listing: a count
/// of events reads the events alone.
pub static CAMPAIGN_EVENTS: Source = Source {
    from: "campaign_events ce",
    columns: &[],
    live: "",
    dims: &[
        named(
            Dim::Campaign,
            "cm.name",
            &[EVENT_CAMPAIGN],
            "ce.campaign_id",
            "campaigns",
        ),
        d(Dim::Channel, "cm.channel", &[EVENT_CAMPAIGN]),
    ],
    // An event by whom, in which campaign: the event itself is what the metric counts.
    drill: Drill {
        table: "'campaign_events'",
        id: "ce.id",
        label: "concat_ws(' · ', cm.name, nullif(trim(concat_ws(' ', ec.first_name, ec.last_name)), ''))",
        joins: &[
            EVENT_CAMPAIGN,
            "LEFT JOIN contacts ec ON ec.id = ce.contact_id",
        ],
    },
};

pub static WEB_VISITS: Source = Source {
    from: "web_visits w",
    columns: &[],
    live: "",
    dims: &[d(Dim::LeadSource, "w.source", &[])],
    drill: drill("'web_visits'", "w.id", "coalesce(w.landing_page, w.source)"),
};

const SUBSCRIPTION_PRODUCT: &str = "LEFT JOIN products pr ON pr.id = s.product_id";
const SUBSCRIPTION_COMPANY: &str = "LEFT JOIN companies co ON co.id = s.company_id";

pub static SUBSCRIPTIONS: Source = Source {
    from: "subscriptions s",
    columns: &[],
    live: "",
    dims: &[
        d(Dim::Product, "pr.name", &[SUBSCRIPTION_PRODUCT]),
        d(Dim::ProductLine, "pr.product_line", &[SUBSCRIPTION_PRODUCT]),
        d(Dim::Industry, "co.industry", &[SUBSCRIPTION_COMPANY]),
        d(Dim::Country, "co.country", &[SUBSCRIPTION_COMPANY]),
    ],
    drill: Drill {
        table: "'subscriptions'",
        id: "s.id",
        label: "concat_ws(' · ', co.name, pr.name)",
        joins: &[SUBSCRIPTION_COMPANY, SUBSCRIPTION_PRODUCT],
    },
};

pub static LIST_SUBSCRIPTIONS: Source = Source {
    from: "list_subscriptions ls",
    columns: &[],
    live: "",
    dims: &[],
    drill: drill("'list_subscriptions'", "ls.id", "ls.list_name"),
};

pub static SURVEYS: Source = Source {
    from: "surveys sv",
    columns: &[],
    live: "",
    dims: &[],
    drill: drill(
        "'surveys'",
        "sv.id",
        "upper(sv.kind) || ' ' || CAST(sv.score AS VARCHAR)",
    ),
};

pub static USERS: Source = Source {
    from: "users own",
    columns: &[],
    live: "",
    dims: &[
        d(Dim::Owner, "own.name", &[]),
        d(Dim::Team, "tm.name", &[OWNER_TEAM]),
    ],
    drill: drill("'users'", "own.id", "own.name"),
};

pub static USER_EVENTS: Source = Source {
    from: "user_events ue JOIN users own ON own.id = ue.user_id",
    columns: &[],
    live: "",
    dims: &[
        d(Dim::Owner, "own.name", &[]),
        d(Dim::Team, "tm.name", &[OWNER_TEAM]),
    ],
    drill: drill("'users'", "own.id", "own.name"),
};

#[cfg(test)]
mod tests {
    use super::*;

    /// The customers' history with the windows of `read`, and no other.
    fn windows_for(read: &str) -> (bool, bool) {
        let from = CUSTOMER_REVENUE.from_reading(&[read]);
        assert!(!from.contains("{columns}"), "{from}");
        (from.contains("AS new_line"), from.contains("AS pricier"))
    }

    #[test]
    fn a_statement_reads_the_history_windows_it_names_and_no_other() {
        assert_eq!(windows_for("count(DISTINCT c.id)"), (false, false));
        assert_eq!(windows_for("FILTER (WHERE ch.new_line)"), (true, false));
        assert_eq!(windows_for("FILTER (WHERE ch.pricier)"), (false, true));
        assert_eq!(
            windows_for("FILTER (WHERE ch.new_line), FILTER (WHERE ch.pricier)"),
            (true, true)
        );
        assert_eq!(DEALS.from_reading(&["ch.pricier"]), DEALS.from);
    }
}
