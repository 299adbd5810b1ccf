//! What the CRMs Embudo reads write in their exports, per vendor: the headers of each
//! entity's export and the canonical column each fills (a column may be read from several
//! headers, the first non-empty winning), the values their picklists hold and the canonical
//! labels they mean, and their default pipeline's stages with order, probability and kind.
//!
//! The vendors' own documentation is the source: HubSpot's default deal stages and
//! probabilities (Appointment Scheduled 20% … Contract Sent 90%, Closed Won, Closed Lost),
//! Salesforce's default opportunity stages (Prospecting 10% … Negotiation/Review 90%), and
//! the status fields of Pipedrive (`open|won|lost`) and ActiveCampaign (Open/Won/Lost, 0/1/2
//! in its API), whose deals stay in an open stage when won or lost.

pub mod export;

use crate::IngestError;
use crate::mapping::{StageSpec, normalise_header};
use std::collections::BTreeMap;

/// The export formats Embudo knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    Hubspot,
    Pipedrive,
    Salesforce,
    Activecampaign,
}

/// (entity, source header, canonical column); a header may fill several columns, and a
/// column listed with several headers reads the first that has a value.
type Headers = &'static [(&'static str, &'static str, &'static str)];

/// (entity, canonical column, [(vendor value, canonical value)]), matched whatever the case.
type Values = &'static [(
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
)];

/// (stage, probability, kind), in the pipeline's order.
type Stages = &'static [(&'static str, f64, &'static str)];

impl Preset {
    pub const ALL: [Preset; 4] = [
        Preset::Hubspot,
        Preset::Pipedrive,
        Preset::Salesforce,
        Preset::Activecampaign,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Preset::Hubspot => "hubspot",
            Preset::Pipedrive => "pipedrive",
            Preset::Salesforce => "salesforce",
            Preset::Activecampaign => "activecampaign",
        }
    }

    /// The vendor's name as people write it.
    pub fn title(self) -> &'static str {
        match self {
            Preset::Hubspot => "HubSpot",
            Preset::Pipedrive => "Pipedrive",
            Preset::Salesforce => "Salesforce",
            Preset::Activecampaign => "ActiveCampaign",
        }
    }

    /// What [`crate::mapping::vendor_of`] found, in words for the person importing:
    /// `this looks like a HubSpot export; {given} reads Close Date, Deal owner as HubSpot
    /// means them`, where `given` is how they would give the preset (`--preset hubspot` on
    /// the command line, `preset=hubspot` over the API).
    pub fn hint(self, headers: &[String], given: &str) -> String {
        format!(
            "this looks like a {} export; {given} reads {} as {} means them",
            self.title(),
            headers.join(", "),
            self.title(),
        )
    }

    pub fn parse(text: &str) -> Result<Preset, IngestError> {
        Preset::ALL
            .into_iter()
            .find(|p| p.name() == text.to_ascii_lowercase())
            .ok_or_else(|| {
                IngestError::Mapping(format!(
                    "no preset '{text}'; presets are hubspot, pipedrive, salesforce, activecampaign"
                ))
            })
    }

    /// (entity, source header, canonical column) of this vendor's exports.
    pub fn headers(self) -> Headers {
        match self {
            Preset::Hubspot => HUBSPOT,
            Preset::Pipedrive => PIPEDRIVE,
            Preset::Salesforce => SALESFORCE,
            Preset::Activecampaign => ACTIVECAMPAIGN,
        }
    }

    /// The canonical columns `header` fills in an export of `entity`.
    pub fn columns_of(self, entity: &str, header: &str) -> impl Iterator<Item = &'static str> {
        let normal = normalise_header(header);
        self.headers()
            .iter()
            .filter(move |(e, h, _)| *e == entity && normalise_header(h) == normal)
            .map(|(_, _, column)| *column)
    }

    /// Per canonical column of `entity`: vendor value → canonical value.
    pub fn values(self, entity: &str) -> BTreeMap<String, BTreeMap<String, String>> {
        let table: Values = match self {
            Preset::Hubspot => HUBSPOT_VALUES,
            Preset::Pipedrive => PIPEDRIVE_VALUES,
            Preset::Salesforce => SALESFORCE_VALUES,
            Preset::Activecampaign => ACTIVECAMPAIGN_VALUES,
        };
        table
            .iter()
            .filter(|(e, _, _)| *e == entity)
            .map(|(_, column, pairs)| {
                let pairs = pairs
                    .iter()
                    .map(|(from, to)| ((*from).to_owned(), (*to).to_owned()))
                    .collect();
                ((*column).to_owned(), pairs)
            })
            .collect()
    }

    /// The name of the vendor's default pipeline.
    pub fn pipeline_name(self) -> &'static str {
        match self {
            Preset::Hubspot => "Sales Pipeline",
            Preset::Pipedrive => "Pipeline",
            Preset::Salesforce => "Opportunities",
            Preset::Activecampaign => "Sales Pipeline",
        }
    }

    /// The default pipeline's stages in order, with probability and kind. Pipedrive and
    /// ActiveCampaign close a deal by its status, not its stage: their `Won` and `Lost`
    /// stages are where Embudo puts a deal whose status closed it, after the stage it was in.
    /// Neither ships stage probabilities that mean anything (Pipedrive's are 100% until set,
    /// ActiveCampaign has none): their open stages are spaced evenly, as for any stage an
    /// import creates.
    pub fn stages(self) -> BTreeMap<String, StageSpec> {
        let stages: Stages = match self {
            Preset::Hubspot => &[
                ("Appointment Scheduled", 0.2, "open"),
                ("Qualified To Buy", 0.4, "open"),
                ("Presentation Scheduled", 0.6, "open"),
                ("Decision Maker Bought-In", 0.8, "open"),
                ("Contract Sent", 0.9, "open"),
                ("Closed Won", 1.0, "won"),
                ("Closed Lost", 0.0, "lost"),
            ],
            Preset::Pipedrive => &[
                ("Qualified", 0.17, "open"),
                ("Contact Made", 0.33, "open"),
                ("Demo Scheduled", 0.5, "open"),
                ("Proposal Made", 0.67, "open"),
                ("Negotiations Started", 0.83, "open"),
                ("Won", 1.0, "won"),
                ("Lost", 0.0, "lost"),
            ],
            Preset::Salesforce => &[
                ("Prospecting", 0.1, "open"),
                ("Qualification", 0.1, "open"),
                ("Needs Analysis", 0.2, "open"),
                ("Value Proposition", 0.5, "open"),
                ("Id. Decision Makers", 0.6, "open"),
                ("Perception Analysis", 0.7, "open"),
                ("Proposal/Price Quote", 0.75, "open"),
                ("Negotiation/Review", 0.9, "open"),
                ("Closed Won", 1.0, "won"),
                ("Closed Lost", 0.0, "lost"),
            ],
            Preset::Activecampaign => &[
                ("To Contact", 0.25, "open"),
                ("In Contact", 0.5, "open"),
                ("Follow Up", 0.75, "open"),
                ("Won", 1.0, "won"),
                ("Lost", 0.0, "lost"),
            ],
        };
        stages
            .iter()
            .zip(1..)
            .map(|((name, probability, kind), order)| {
                (
                    (*name).to_owned(),
                    StageSpec {
                        order,
                        probability: *probability,
                        kind: Some((*kind).to_owned()),
                    },
                )
            })
            .collect()
    }
}

const HUBSPOT: Headers = &[
    ("contacts", "Record ID", "external_id"),
    ("contacts", "First Name", "first_name"),
    ("contacts", "Last Name", "last_name"),
    ("contacts", "Email", "email"),
    ("contacts", "Phone Number", "phone"),
    ("contacts", "Mobile Phone Number", "phone"),
    ("contacts", "Job Title", "title"),
    ("contacts", "Associated Company IDs", "company"),
    ("contacts", "Company Name", "company"),
    ("contacts", "Associated Company", "company"),
    ("contacts", "Lifecycle Stage", "lifecycle_stage"),
    ("contacts", "Original Source", "lead_source"),
    ("contacts", "Became a Lead Date", "lead_at"),
    ("contacts", "Became a Customer Date", "customer_at"),
    ("contacts", "Contact owner", "owner"),
    ("contacts", "Street Address", "street"),
    ("contacts", "Postal Code", "postal_code"),
    ("contacts", "City", "city"),
    ("contacts", "State/Region", "region"),
    ("contacts", "Country/Region", "country"),
    ("contacts", "Create Date", "created_at"),
    ("contacts", "Last Modified Date", "updated_at"),
    ("companies", "Record ID", "external_id"),
    ("companies", "Company name", "name"),
    ("companies", "Company Domain Name", "domain"),
    ("companies", "Website URL", "domain"),
    ("companies", "Industry", "industry"),
    ("companies", "Number of Employees", "employees"),
    ("companies", "Annual Revenue", "annual_revenue"),
    ("companies", "Phone Number", "phone"),
    ("companies", "Street Address", "street"),
    ("companies", "Postal Code", "postal_code"),
    ("companies", "City", "city"),
    ("companies", "State/Region", "region"),
    ("companies", "Country/Region", "country"),
    ("companies", "Company owner", "owner"),
    ("companies", "Parent Company", "parent"),
    ("companies", "Create Date", "created_at"),
    ("companies", "Last Modified Date", "updated_at"),
    ("deals", "Record ID", "external_id"),
    ("deals", "Deal Name", "name"),
    ("deals", "Pipeline", "pipeline"),
    ("deals", "Deal Stage", "stage"),
    ("deals", "Amount", "amount"),
    ("deals", "Deal Currency Code", "currency"),
    // HubSpot's Close Date is when a closed deal closed, and when an open one should.
    ("deals", "Close Date", "closed_at"),
    ("deals", "Close Date", "expected_close_date"),
    ("deals", "Deal owner", "owner"),
    ("deals", "Deal Type", "deal_type"),
    // Association columns hold record IDs when the export includes associations, names
    // otherwise.
    ("deals", "Associated Contact IDs", "contact"),
    ("deals", "Associated Contact", "contact"),
    ("deals", "Associated Company IDs", "company"),
    ("deals", "Associated Company", "company"),
    ("deals", "Closed Lost Reason", "lost_reason"),
    ("deals", "Original Source Type", "source"),
    ("deals", "Original Source", "source"),
    ("deals", "Create Date", "created_at"),
    ("deals", "Last Modified Date", "updated_at"),
    // Service Hub's tickets. Exports of recent years say `Record ID`, older ones `Ticket ID`.
    ("tickets", "Record ID", "external_id"),
    ("tickets", "Ticket ID", "external_id"),
    ("tickets", "Create date", "opened_at"),
    ("tickets", "First agent reply date", "first_response_at"),
    ("tickets", "Close date", "resolved_at"),
    ("tickets", "Ticket owner", "agent"),
    ("tickets", "Source", "channel"),
    ("tickets", "Category", "type"),
    ("tickets", "Priority", "priority"),
    ("tickets", "Associated Contact IDs", "contact"),
    ("tickets", "Associated Contact", "contact"),
    ("tickets", "Associated Company IDs", "company"),
    ("tickets", "Associated Company", "company"),
];

const PIPEDRIVE: Headers = &[
    ("contacts", "Person - ID", "external_id"),
    ("contacts", "Person - First name", "first_name"),
    ("contacts", "Person - Last name", "last_name"),
    ("contacts", "Person - Email", "email"),
    ("contacts", "Person - Email - Work", "email"),
    ("contacts", "Person - Email - Home", "email"),
    ("contacts", "Person - Email - Other", "email"),
    ("contacts", "Person - Phone", "phone"),
    ("contacts", "Person - Phone - Work", "phone"),
    ("contacts", "Person - Phone - Mobile", "phone"),
    ("contacts", "Person - Organization", "company"),
    ("contacts", "Person - Owner", "owner"),
    ("contacts", "Person - Source channel", "lead_source"),
    ("contacts", "Person - Person created", "created_at"),
    ("contacts", "Person - Update time", "updated_at"),
    ("companies", "Organization - ID", "external_id"),
    ("companies", "Organization - Name", "name"),
    ("companies", "Organization - Address", "street"),
    ("companies", "Organization - Website", "domain"),
    ("companies", "Organization - Owner", "owner"),
    (
        "companies",
        "Organization - Organization created",
        "created_at",
    ),
    ("companies", "Organization - Update time", "updated_at"),
    ("deals", "Deal - ID", "external_id"),
    ("deals", "Deal - Title", "name"),
    ("deals", "Deal - Value", "amount"),
    ("deals", "Deal - Currency", "currency"),
    ("deals", "Deal - Pipeline", "pipeline"),
    ("deals", "Deal - Stage", "stage"),
    ("deals", "Deal - Status", "status"),
    ("deals", "Deal - Owner", "owner"),
    ("deals", "Deal - Organization", "company"),
    ("deals", "Deal - Contact person", "contact"),
    ("deals", "Deal - Deal created", "created_at"),
    ("deals", "Deal - Expected close date", "expected_close_date"),
    // Close time is set on won and lost deals alike; won and lost times are the fallback.
    ("deals", "Deal - Deal closed on", "closed_at"),
    ("deals", "Deal - Won time", "closed_at"),
    ("deals", "Deal - Lost time", "closed_at"),
    ("deals", "Deal - Lost reason", "lost_reason"),
    ("deals", "Deal - Source channel", "source"),
    ("deals", "Deal - Update time", "updated_at"),
];

const SALESFORCE: Headers = &[
    ("contacts", "Contact ID", "external_id"),
    ("contacts", "First Name", "first_name"),
    ("contacts", "Last Name", "last_name"),
    ("contacts", "Email", "email"),
    ("contacts", "Phone", "phone"),
    ("contacts", "Mobile", "phone"),
    ("contacts", "Title", "title"),
    ("contacts", "Account Name", "company"),
    ("contacts", "Lead Source", "lead_source"),
    ("contacts", "Mailing Street", "street"),
    ("contacts", "Mailing City", "city"),
    ("contacts", "Mailing State/Province", "region"),
    ("contacts", "Mailing Zip/Postal Code", "postal_code"),
    ("contacts", "Mailing Country", "country"),
    ("contacts", "Birthdate", "birth_date"),
    ("contacts", "Contact Owner", "owner"),
    ("contacts", "Created Date", "created_at"),
    ("contacts", "Last Modified Date", "updated_at"),
    ("companies", "Account ID", "external_id"),
    ("companies", "Account Name", "name"),
    ("companies", "Website", "domain"),
    ("companies", "Industry", "industry"),
    ("companies", "Employees", "employees"),
    ("companies", "Annual Revenue", "annual_revenue"),
    ("companies", "Phone", "phone"),
    ("companies", "Billing Street", "street"),
    ("companies", "Billing City", "city"),
    ("companies", "Billing State/Province", "region"),
    ("companies", "Billing Zip/Postal Code", "postal_code"),
    ("companies", "Billing Country", "country"),
    ("companies", "Parent Account", "parent"),
    ("companies", "Account Owner", "owner"),
    ("companies", "Created Date", "created_at"),
    ("companies", "Last Modified Date", "updated_at"),
    ("deals", "Opportunity ID", "external_id"),
    ("deals", "Opportunity Name", "name"),
    ("deals", "Account Name", "company"),
    ("deals", "Contact Name", "contact"),
    ("deals", "Amount", "amount"),
    ("deals", "Opportunity Currency", "currency"),
    // A closed opportunity's Close Date is the day it closed.
    ("deals", "Close Date", "closed_at"),
    ("deals", "Close Date", "expected_close_date"),
    ("deals", "Stage", "stage"),
    ("deals", "Type", "deal_type"),
    ("deals", "Lead Source", "source"),
    ("deals", "Opportunity Owner", "owner"),
    ("deals", "Loss Reason", "lost_reason"),
    ("deals", "Created Date", "created_at"),
    ("deals", "Last Modified Date", "updated_at"),
];

const ACTIVECAMPAIGN: Headers = &[
    ("contacts", "Contact ID", "external_id"),
    ("contacts", "Email", "email"),
    ("contacts", "First Name", "first_name"),
    ("contacts", "Last Name", "last_name"),
    ("contacts", "Phone", "phone"),
    ("contacts", "Account", "company"),
    ("contacts", "Organization", "company"),
    ("contacts", "Job Title", "title"),
    ("contacts", "Date Created", "created_at"),
    ("contacts", "Date Updated", "updated_at"),
    ("companies", "Account ID", "external_id"),
    ("companies", "Account Name", "name"),
    ("companies", "Account URL", "domain"),
    ("companies", "Date Created", "created_at"),
    ("companies", "Date Updated", "updated_at"),
    ("deals", "Deal ID", "external_id"),
    ("deals", "Title", "name"),
    ("deals", "Value", "amount"),
    ("deals", "Currency", "currency"),
    ("deals", "Pipeline", "pipeline"),
    ("deals", "Stage", "stage"),
    ("deals", "Status", "status"),
    ("deals", "Owner", "owner"),
    ("deals", "Contact", "contact"),
    ("deals", "Account", "company"),
    ("deals", "Created Date", "created_at"),
    ("deals", "Forecasted Close Date", "expected_close_date"),
    ("deals", "Close Date", "closed_at"),
    ("deals", "Updated Date", "updated_at"),
];

/// HubSpot's Original Source, as its exports write it (label or internal value).
const HUBSPOT_SOURCES: &[(&str, &str)] = &[
    ("Organic Search", "organic"),
    ("ORGANIC_SEARCH", "organic"),
    ("Paid Search", "paid_ads"),
    ("PAID_SEARCH", "paid_ads"),
    ("Paid Social", "paid_ads"),
    ("PAID_SOCIAL", "paid_ads"),
    ("Email Marketing", "email"),
    ("EMAIL_MARKETING", "email"),
    ("Social Media", "social"),
    ("SOCIAL_MEDIA", "social"),
    ("Referrals", "referral"),
    ("REFERRALS", "referral"),
    ("AI Referrals", "referral"),
    ("AI_REFERRALS", "referral"),
    ("Direct Traffic", "direct"),
    ("DIRECT_TRAFFIC", "direct"),
    ("Offline Sources", "other"),
    ("OFFLINE", "other"),
    ("Other Campaigns", "other"),
    ("OTHER_CAMPAIGNS", "other"),
];

const HUBSPOT_VALUES: Values = &[
    ("contacts", "lead_source", HUBSPOT_SOURCES),
    // A ticket's source, category and priority, as labels and as internal values.
    (
        "tickets",
        "channel",
        &[
            ("Email", "email"),
            ("Chat", "chat"),
            ("Form", "web"),
            ("Phone", "phone"),
        ],
    ),
    (
        "tickets",
        "type",
        &[
            ("Product issue", "problem"),
            ("PRODUCT_ISSUE", "problem"),
            ("Billing issue", "problem"),
            ("BILLING_ISSUE", "problem"),
            ("Feature request", "request"),
            ("FEATURE_REQUEST", "request"),
            ("General inquiry", "question"),
            ("GENERAL_INQUIRY", "question"),
        ],
    ),
    (
        "tickets",
        "priority",
        &[
            ("Low", "low"),
            ("Medium", "normal"),
            ("High", "high"),
            ("Urgent", "urgent"),
        ],
    ),
    ("deals", "source", HUBSPOT_SOURCES),
    (
        "contacts",
        "lifecycle_stage",
        &[
            ("Subscriber", "subscriber"),
            ("Lead", "lead"),
            ("Marketing Qualified Lead", "mql"),
            ("marketingqualifiedlead", "mql"),
            ("Sales Qualified Lead", "sql"),
            ("salesqualifiedlead", "sql"),
            ("Opportunity", "opportunity"),
            ("Customer", "customer"),
            ("Evangelist", "evangelist"),
            ("Other", "other"),
        ],
    ),
    (
        "deals",
        "deal_type",
        &[
            ("New Business", "new_business"),
            ("newbusiness", "new_business"),
            ("Existing Business", "upsell"),
            ("existingbusiness", "upsell"),
        ],
    ),
];

const PIPEDRIVE_VALUES: Values = &[];

/// Salesforce's default Lead Source picklist.
const SALESFORCE_SOURCES: &[(&str, &str)] = &[
    ("Web", "organic"),
    ("Phone Inquiry", "direct"),
    ("Partner Referral", "partner"),
    ("Purchased List", "other"),
    ("Advertisement", "paid_ads"),
    ("Employee Referral", "referral"),
    ("External Referral", "referral"),
    ("Word of mouth", "referral"),
    ("Trade Show", "event"),
    ("Seminar - Internal", "event"),
    ("Seminar - Partner", "partner"),
    ("Public Relations", "other"),
    ("Other", "other"),
];

const SALESFORCE_VALUES: Values = &[
    ("contacts", "lead_source", SALESFORCE_SOURCES),
    ("deals", "source", SALESFORCE_SOURCES),
    (
        "deals",
        "deal_type",
        &[
            ("New Customer", "new_business"),
            ("Existing Customer - Upgrade", "upsell"),
            ("Existing Customer - Replacement", "renewal"),
            ("Existing Customer - Downgrade", "renewal"),
        ],
    ),
];

const ACTIVECAMPAIGN_VALUES: Values = &[(
    "deals",
    "status",
    &[("0", "open"), ("1", "won"), ("2", "lost")],
)];
