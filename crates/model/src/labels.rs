//! Enumerated labels of the canonical schema.
//!
//! The spelling returned by [`Label::as_str`] is the canonical label stored in the database.
//! Columns holding labels are plain `VARCHAR` in the store, not SQL enums: imported data
//! may carry misspellings ("Refferal") that the audit must be able to find and fix.

use std::fmt;
use std::str::FromStr;

/// A value with one canonical spelling.
pub trait Label: Copy + Sized + 'static {
    /// Every value, in the order of the spec.
    const ALL: &'static [Self];
    /// The canonical spelling.
    fn as_str(self) -> &'static str;
}

/// A string that is not one of a label's canonical spellings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownLabel {
    /// The label type, e.g. `lead_source`.
    pub kind: &'static str,
    /// The rejected text.
    pub value: String,
}

impl fmt::Display for UnknownLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}' is not a known {}", self.value, self.kind)
    }
}

impl std::error::Error for UnknownLabel {}

macro_rules! labels {
    ($(#[$doc:meta])* $name:ident, $kind:literal { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $(#[doc = $text] $variant),+
        }

        impl Label for $name {
            const ALL: &'static [Self] = &[$(Self::$variant),+];
            fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }
        }

        impl FromStr for $name {
            type Err = UnknownLabel;
            fn from_str(s: &str) -> Result<Self, UnknownLabel> {
                match s {
                    $($text => Ok(Self::$variant),)+
                    _ => Err(UnknownLabel { kind: $kind, value: s.to_owned() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

labels!(
    /// `users.role`.
    Role, "role" { Admin = "admin", Manager = "manager", Rep = "rep", Agent = "agent", Viewer = "viewer" }
);

labels!(
    /// `contacts.lifecycle_stage`.
    LifecycleStage, "lifecycle_stage" {
        Subscriber = "subscriber", Lead = "lead", Mql = "mql", Sql = "sql",
        Opportunity = "opportunity", Customer = "customer", Evangelist = "evangelist", Other = "other",
    }
);

labels!(
    /// `contacts.lead_source` and `deals.source`.
    LeadSource, "lead_source" {
        Email = "email", PaidAds = "paid_ads", Organic = "organic", Referral = "referral",
        Social = "social", Event = "event", Direct = "direct", Partner = "partner", Other = "other",
    }
);

labels!(
    /// `contacts.email_status`.
    EmailStatus, "email_status" { Valid = "valid", Bounced = "bounced", Unsubscribed = "unsubscribed", Unknown = "unknown" }
);

labels!(
    /// `stages.kind` and `deals.status`: a deal's status is the kind of its current stage.
    StageKind, "stage kind" { Open = "open", Won = "won", Lost = "lost" }
);

labels!(
    /// `deals.deal_type`.
    DealType, "deal_type" { NewBusiness = "new_business", Upsell = "upsell", CrossSell = "cross_sell", Renewal = "renewal" }
);

labels!(
    /// `deal_changes.field`.
    DealField, "deal field" {
        Amount = "amount", ExpectedCloseDate = "expected_close_date", OwnerId = "owner_id", Probability = "probability",
    }
);

labels!(
    /// `activities.type`.
    ActivityType, "activity type" {
        Call = "call", Meeting = "meeting", Email = "email", Task = "task", Demo = "demo",
        Proposal = "proposal", Note = "note",
    }
);

labels!(
    /// `activities.outcome`.
    ActivityOutcome, "activity outcome" {
        Connected = "connected", NoAnswer = "no_answer", Voicemail = "voicemail",
        Completed = "completed", Cancelled = "cancelled",
    }
);

labels!(
    /// `campaigns.channel`.
    CampaignChannel, "campaign channel" {
        Email = "email", PaidAds = "paid_ads", Social = "social", Event = "event",
        Webinar = "webinar", DirectMail = "direct_mail", Other = "other",
    }
);

labels!(
    /// `campaign_events.event`.
    CampaignEventKind, "campaign event" {
        Sent = "sent", Delivered = "delivered", Opened = "opened", Clicked = "clicked",
        Responded = "responded", Unsubscribed = "unsubscribed", Bounced = "bounced",
    }
);

labels!(
    /// `tickets.channel`.
    TicketChannel, "ticket channel" { Email = "email", Phone = "phone", Chat = "chat", Web = "web" }
);

labels!(
    /// `tickets.type`.
    TicketType, "ticket type" { Question = "question", Problem = "problem", Complaint = "complaint", Request = "request" }
);

labels!(
    /// `tickets.priority`.
    Priority, "priority" { Low = "low", Normal = "normal", High = "high", Urgent = "urgent" }
);

labels!(
    /// `service_calls.direction`.
    CallDirection, "call direction" { Inbound = "inbound", Outbound = "outbound" }
);

labels!(
    /// `surveys.kind`.
    SurveyKind, "survey kind" { Nps = "nps", Csat = "csat" }
);

labels!(
    /// `user_events.event`.
    UserEventKind, "user event" {
        Login = "login", RecordCreated = "record_created", RecordUpdated = "record_updated",
        ReportViewed = "report_viewed", Export = "export",
    }
);

labels!(
    /// `goals.scope`.
    GoalScope, "goal scope" { Company = "company", Team = "team", User = "user" }
);

labels!(
    /// `goals.direction`.
    GoalDirection, "goal direction" { AtLeast = "at_least", AtMost = "at_most" }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_round_trips_through_its_spelling() {
        for source in LeadSource::ALL {
            assert_eq!(source.as_str().parse::<LeadSource>(), Ok(*source));
        }
        assert_eq!(LeadSource::PaidAds.to_string(), "paid_ads");
    }

    #[test]
    fn a_misspelling_is_rejected_with_its_kind() {
        let err = "Refferal".parse::<LeadSource>().unwrap_err();
        assert_eq!(err.to_string(), "'Refferal' is not a known lead_source");
    }
}
