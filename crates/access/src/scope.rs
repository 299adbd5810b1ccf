//! What a caller may see: the one place the server asks, for every list, record, export,
//! report and metric.
//!
//! | | records | reports and metrics |
//! |---|---|---|
//! | admin | everything | everything |
//! | manager | their team's contacts, companies, deals, activities, tickets, service calls; campaigns, products | over their team's records |
//! | rep | the contacts, companies, deals and activities they own; campaigns, products | over their own records |
//! | agent | tickets, service calls, products | the service report and service metrics |
//! | viewer | none | everything, e-mails and phones masked |
//!
//! Goals: company goals for everyone, plus the caller's team's and (manager) team members'
//! or (others) their own. A manager without a team is scoped like a rep.
//!
//! Changes ([`Caller::may_change`]): an admin anything; a manager or rep the contacts,
//! companies, deals and activities they see (a manager also goals); an agent tickets and
//! service calls; a viewer nothing. A changed or new record must still be one the caller
//! sees, so a rep cannot hand a deal to someone else's name.

use crate::{AccessError, Caller, Role};
use embudo_store::Store;
use embudo_store::access::NameOf;
use embudo_store::served::RowCondition;

/// Set the `field` filter to `own`, refusing another value, and a name shared with another
/// user or team (the filters match by name, so a shared one would let more rows in).
pub fn narrow(
    store: &Store,
    field: &'static str,
    filter: &mut Option<String>,
    own: String,
) -> Result<(), AccessError> {
    // Filters match names whatever their case, so this does too.
    if filter
        .as_ref()
        .is_some_and(|asked| asked.to_lowercase() != own.to_lowercase())
    {
        return Err(AccessError::Forbidden(format!(
            "{field}: you can see only {own}'s records"
        )));
    }
    let of = if field == "owner" {
        NameOf::User
    } else {
        NameOf::Team
    };
    let same = store.count_named(of, &own)?;
    if same > 1 {
        return Err(AccessError::Forbidden(format!(
            "{field} '{own}' names more than one {field}: ask an admin to make it unique"
        )));
    }
    *filter = Some(own);
    Ok(())
}

/// The tables the API serves records of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entity {
    Contacts,
    Companies,
    Deals,
    Activities,
    Tickets,
    ServiceCalls,
    Campaigns,
    Products,
    Goals,
}

impl Entity {
    pub const ALL: [Entity; 9] = [
        Entity::Contacts,
        Entity::Companies,
        Entity::Deals,
        Entity::Activities,
        Entity::Tickets,
        Entity::ServiceCalls,
        Entity::Campaigns,
        Entity::Products,
        Entity::Goals,
    ];

    /// The table, which is also the entity's name in URLs.
    pub fn table(self) -> &'static str {
        match self {
            Entity::Contacts => "contacts",
            Entity::Companies => "companies",
            Entity::Deals => "deals",
            Entity::Activities => "activities",
            Entity::Tickets => "tickets",
            Entity::ServiceCalls => "service_calls",
            Entity::Campaigns => "campaigns",
            Entity::Products => "products",
            Entity::Goals => "goals",
        }
    }

    pub fn parse(name: &str) -> Option<Entity> {
        Entity::ALL.into_iter().find(|e| e.table() == name)
    }

    /// Customer records: reading or exporting them is recorded in `user_events`.
    pub fn is_customer_data(self) -> bool {
        matches!(
            self,
            Entity::Contacts
                | Entity::Companies
                | Entity::Deals
                | Entity::Activities
                | Entity::Tickets
                | Entity::ServiceCalls
        )
    }
}

/// Who a goal is for, as [`Caller::may_set_goal`] judges it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoalFor {
    Company,
    /// A team, by id.
    Team(i64),
    /// A user, with their team's id.
    User {
        team: Option<i64>,
    },
}

/// The rows of a table a caller may see.
#[derive(Debug, Clone, PartialEq)]
pub enum Rows {
    All,
    Nothing,
    /// Those meeting a condition, which the store writes on the table's own columns.
    Where(RowCondition),
}

/// Whose records a report or metric is computed over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Over {
    /// The whole business.
    All,
    /// One owner's records (the report's owner filter, by name).
    Owner(String),
    /// One team's records (the report's team filter, by name).
    Team(String),
    /// Not this caller's to see.
    Denied,
}

/// Who a dashboard is shown to besides its owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Nobody else.
    Owner,
    /// The members of one team (by id).
    Team(i64),
    /// Everyone who logs in.
    Company,
}

/// Reports that honour an owner and a team filter in every section: the ones a manager or a
/// rep may see. (The others mix in company-wide figures, or have not been shown not to.)
pub const SCOPED_REPORTS: [&str; 6] = [
    "pipeline",
    "sales_cycle",
    "sales_performance",
    "forecast",
    "lost_deals",
    "activity",
];

impl Caller {
    /// The rows of `entity` this caller may see.
    pub fn rows(&self, entity: Entity) -> Rows {
        use Entity::*;
        let team = self.team_id.filter(|_| self.role == Role::Manager);
        match (self.role, entity) {
            (Role::Admin, _) => Rows::All,
            (Role::Viewer, Goals) => Rows::All,
            (Role::Viewer, _) => Rows::Nothing,
            (_, Products) => Rows::All,
            (Role::Agent, Tickets | ServiceCalls) => Rows::All,
            (Role::Agent, Goals) => Rows::Where(self.own_goals()),
            (Role::Agent, _) => Rows::Nothing,
            (Role::Manager | Role::Rep, Campaigns) => Rows::All,
            (Role::Manager | Role::Rep, Goals) => match team {
                Some(team) => Rows::Where(RowCondition::GoalsOfTeam(team)),
                None => Rows::Where(self.own_goals()),
            },
            (Role::Manager | Role::Rep, Tickets | ServiceCalls) => match team {
                Some(team) => Rows::Where(RowCondition::HandledByTeam(team)),
                None => Rows::Nothing,
            },
            (Role::Manager | Role::Rep, Contacts | Companies | Deals | Activities) => match team {
                Some(team) => Rows::Where(RowCondition::OwnedByTeam(team)),
                None => Rows::Where(RowCondition::OwnedBy(self.user_id)),
            },
        }
    }

    /// The company's goals, the caller's team's and the caller's own.
    fn own_goals(&self) -> RowCondition {
        RowCondition::GoalsOf {
            team: self.team_id,
            user: self.user_id,
        }
    }

    /// Whose records `report` is computed over for this caller.
    pub fn report(&self, report: &str) -> Over {
        match self.role {
            Role::Admin | Role::Viewer => Over::All,
            Role::Agent if report == "service" => Over::All,
            Role::Agent => Over::Denied,
            Role::Manager | Role::Rep if !SCOPED_REPORTS.contains(&report) => Over::Denied,
            Role::Manager | Role::Rep => self.own_records(),
        }
    }

    /// Whose records a metric of `group` (sales, marketing, service) with `dimensions`
    /// is computed over: a manager's or rep's only when the metric can be filtered so.
    pub fn metric(&self, group: &str, dimensions: &[&str]) -> Over {
        match self.role {
            Role::Admin | Role::Viewer => Over::All,
            Role::Agent if group == "service" => Over::All,
            Role::Agent => Over::Denied,
            Role::Manager | Role::Rep => match self.own_records() {
                Over::Team(team) if dimensions.contains(&"team") => Over::Team(team),
                Over::Owner(owner) if dimensions.contains(&"owner") => Over::Owner(owner),
                _ => Over::Denied,
            },
        }
    }

    /// A manager's team, else the caller alone.
    fn own_records(&self) -> Over {
        match (&self.team, self.role) {
            (Some(team), Role::Manager) => Over::Team(team.clone()),
            _ => Over::Owner(self.name.clone()),
        }
    }

    /// Whether the caller may create, change and delete records of `entity` — those they
    /// can see, and only so that they can still see them afterwards.
    pub fn may_change(&self, entity: Entity) -> bool {
        use Entity::*;
        match self.role {
            Role::Admin => true,
            Role::Manager => matches!(entity, Contacts | Companies | Deals | Activities | Goals),
            Role::Rep => matches!(entity, Contacts | Companies | Deals | Activities),
            Role::Agent => matches!(entity, Tickets | ServiceCalls),
            Role::Viewer => false,
        }
    }

    /// Whether the caller may set (create, change) a goal for `target`: an admin any goal;
    /// a manager goals for their own team and its members; nobody else.
    pub fn may_set_goal(&self, target: GoalFor) -> bool {
        match (self.role, target) {
            (Role::Admin, _) => true,
            (Role::Manager, GoalFor::Team(team) | GoalFor::User { team: Some(team) }) => {
                self.team_id == Some(team)
            }
            _ => false,
        }
    }

    /// Whether the caller sees a dashboard made by `owner` for `audience`: their own, their
    /// team's, the company's; an admin every one. Its tiles are still computed over the
    /// caller's own records.
    pub fn may_see_dashboard(&self, owner: i64, audience: Audience) -> bool {
        match audience {
            _ if self.is_admin() || owner == self.user_id => true,
            Audience::Owner => false,
            Audience::Team(team) => self.team_id == Some(team),
            Audience::Company => true,
        }
    }

    /// Whether the caller may pin to, arrange, rename, share and delete a dashboard: its
    /// owner, an admin, and the manager of the team it is shown to.
    pub fn may_arrange_dashboard(&self, owner: i64, audience: Audience) -> bool {
        match audience {
            _ if self.is_admin() || owner == self.user_id => true,
            Audience::Team(team) => self.role == Role::Manager && self.team_id == Some(team),
            Audience::Owner | Audience::Company => false,
        }
    }

    /// Whether the caller may show a dashboard to `audience`: anyone to themselves, a
    /// member of a team to that team, an admin to any team and to the whole company.
    pub fn may_show_dashboard_to(&self, audience: Audience) -> bool {
        match audience {
            _ if self.is_admin() => true,
            Audience::Owner => true,
            Audience::Team(team) => self.team_id == Some(team),
            Audience::Company => false,
        }
    }

    /// Whether e-mails and phones are masked in what this caller sees.
    pub fn masks_contact_details(&self) -> bool {
        self.role == Role::Viewer
    }

    /// Whether the caller may change records, run audits and merges, and import.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: Role, team: Option<i64>) -> Caller {
        Caller {
            user_id: 7,
            name: "Ana".into(),
            email: Some("ana@example.com".into()),
            role,
            team_id: team,
            team: team.map(|t| format!("Team {t}")),
        }
    }

    #[test]
    fn each_role_sees_its_rows() {
        let rep = caller(Role::Rep, Some(3));
        assert_eq!(
            rep.rows(Entity::Deals),
            Rows::Where(RowCondition::OwnedBy(7))
        );
        assert_eq!(rep.rows(Entity::Tickets), Rows::Nothing);
        let manager = caller(Role::Manager, Some(3));
        assert_eq!(
            manager.rows(Entity::Contacts),
            Rows::Where(RowCondition::OwnedByTeam(3))
        );
        assert_eq!(
            caller(Role::Manager, None).rows(Entity::Deals),
            Rows::Where(RowCondition::OwnedBy(7))
        );
        assert_eq!(caller(Role::Agent, None).rows(Entity::Tickets), Rows::All);
        assert_eq!(caller(Role::Agent, None).rows(Entity::Deals), Rows::Nothing);
        assert_eq!(
            caller(Role::Viewer, None).rows(Entity::Contacts),
            Rows::Nothing
        );
        assert_eq!(caller(Role::Admin, None).rows(Entity::Contacts), Rows::All);
    }

    #[test]
    fn dashboards_are_seen_by_their_audience_and_arranged_by_their_owner_or_manager() {
        // The caller is user 7; user 9 made these dashboards.
        let (rep, manager) = (caller(Role::Rep, Some(3)), caller(Role::Manager, Some(3)));
        let (stranger, admin) = (caller(Role::Rep, Some(4)), caller(Role::Admin, None));
        let team = Audience::Team(3);
        assert!(rep.may_see_dashboard(9, team) && !rep.may_arrange_dashboard(9, team));
        assert!(manager.may_see_dashboard(9, team) && manager.may_arrange_dashboard(9, team));
        assert!(!stranger.may_see_dashboard(9, team));
        assert!(
            !rep.may_see_dashboard(9, Audience::Owner) && rep.may_see_dashboard(7, Audience::Owner)
        );
        assert!(
            rep.may_see_dashboard(9, Audience::Company)
                && !manager.may_arrange_dashboard(9, Audience::Company)
        );
        assert!(
            admin.may_see_dashboard(9, Audience::Owner)
                && admin.may_arrange_dashboard(9, Audience::Owner)
        );
        assert!(rep.may_show_dashboard_to(team) && !stranger.may_show_dashboard_to(team));
        assert!(
            !manager.may_show_dashboard_to(Audience::Company)
                && admin.may_show_dashboard_to(Audience::Company)
        );
    }

    #[test]
    fn reports_and_metrics_are_computed_over_the_callers_records() {
        assert_eq!(
            caller(Role::Rep, Some(3)).report("pipeline"),
            Over::Owner("Ana".into())
        );
        assert_eq!(
            caller(Role::Manager, Some(3)).report("pipeline"),
            Over::Team("Team 3".into())
        );
        assert_eq!(caller(Role::Rep, None).report("campaigns"), Over::Denied);
        assert_eq!(caller(Role::Agent, None).report("service"), Over::All);
        assert_eq!(caller(Role::Agent, None).report("pipeline"), Over::Denied);
        assert_eq!(
            caller(Role::Rep, None).metric("sales", &["owner", "pipeline"]),
            Over::Owner("Ana".into())
        );
        assert_eq!(
            caller(Role::Rep, None).metric("marketing", &["lead_source"]),
            Over::Denied
        );
        assert!(caller(Role::Viewer, None).masks_contact_details());
    }

    #[test]
    fn managers_set_goals_for_their_team_and_admins_for_anyone() {
        let manager = caller(Role::Manager, Some(3));
        assert!(manager.may_set_goal(GoalFor::Team(3)));
        assert!(manager.may_set_goal(GoalFor::User { team: Some(3) }));
        assert!(!manager.may_set_goal(GoalFor::Team(4)));
        assert!(!manager.may_set_goal(GoalFor::User { team: Some(4) }));
        assert!(!manager.may_set_goal(GoalFor::User { team: None }));
        assert!(!manager.may_set_goal(GoalFor::Company));
        assert!(!caller(Role::Manager, None).may_set_goal(GoalFor::Team(3)));
        assert!(caller(Role::Admin, None).may_set_goal(GoalFor::Company));
        for role in [Role::Rep, Role::Agent, Role::Viewer] {
            assert!(!caller(role, Some(3)).may_set_goal(GoalFor::User { team: Some(3) }));
        }
    }
}
