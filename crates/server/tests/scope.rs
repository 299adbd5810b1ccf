//! Property: whatever the role and team of a new user, and whichever records they own, no
//! list or export returns a row outside their scope — checked against plain SQL written
//! here from the role table of the issue, not from the scope module — and their reports,
//! metrics and audit are what an admin sees filtered to their records, or refused.

mod support;

use embudo_access::{Role, users};
use embudo_store::{Param, Store};
use proptest::prelude::*;
use serde_json::Value;
use std::collections::BTreeSet;
use ureq::Agent;

struct Served {
    base: String,
    _running: support::Running,
    check: Store,
    agent: Agent,
    teams: Vec<i64>,
    /// An admin's token: what everyone would see, filtered by hand for comparison.
    admin: String,
    _place: support::Place,
}

/// One server for every case.
fn serve() -> Served {
    let (place, store) = support::business(21, 0.05);
    let check = store.try_clone().unwrap();
    let now = chrono::Utc::now().naive_utc();
    let admin = users::NewUser {
        name: "Property Admin".into(),
        email: "property-admin@example.com".into(),
        role: Role::Admin,
        team: None,
    };
    users::add(&check, &admin, "a long admin password", now).unwrap();
    let admin = users::create_token(&check, &admin.email, "property", now).unwrap();
    let teams = check
        .query_with("SELECT id FROM teams ORDER BY id", &[])
        .unwrap()
        .rows
        .iter()
        .map(|r| r[0].as_i64().unwrap())
        .collect();
    let running = support::Running::start(store);
    Served {
        base: running.base.clone(),
        _running: running,
        check,
        agent: support::agent(),
        teams,
        admin,
        _place: place,
    }
}

const TABLES: [&str; 9] = [
    "contacts",
    "companies",
    "deals",
    "activities",
    "tickets",
    "service_calls",
    "campaigns",
    "products",
    "goals",
];

/// The ids `role` (user `me`, team `team`) may see in `table`, by the table; `None`
/// where the table is not theirs to see at all.
fn expected(
    served: &Served,
    role: Role,
    me: i64,
    team: Option<i64>,
    table: &str,
) -> Option<BTreeSet<i64>> {
    let owned = ["contacts", "companies", "deals", "activities"].contains(&table);
    let live = match table {
        "contacts" | "companies" | "deals" => "deleted_at IS NULL AND merged_into_id IS NULL",
        _ => "true",
    };
    let manager_team = team.filter(|_| role == Role::Manager);
    let (condition, params): (&str, Vec<Param>) = match (role, table) {
        (Role::Admin, _) => ("true", vec![]),
        (Role::Viewer, "goals") => ("true", vec![]),
        (Role::Viewer, _) => return None,
        (_, "products") => ("true", vec![]),
        (Role::Agent, "tickets" | "service_calls") => ("true", vec![]),
        (Role::Manager | Role::Rep, "campaigns") => ("true", vec![]),
        (_, "goals") => match manager_team {
            Some(t) => (
                "scope = 'company' OR (scope = 'team' AND scope_id = ?) OR (scope = 'user' AND scope_id IN (SELECT id FROM users WHERE team_id = ?))",
                vec![Param::Int(t), Param::Int(t)],
            ),
            None => (
                "scope = 'company' OR (scope = 'team' AND scope_id = ?) OR (scope = 'user' AND scope_id = ?)",
                vec![team.map_or(Param::Null, Param::Int), Param::Int(me)],
            ),
        },
        (Role::Agent, _) => return None,
        (_, "tickets" | "service_calls") => match manager_team {
            Some(t) => (
                "agent_id IN (SELECT id FROM users WHERE team_id = ?)",
                vec![Param::Int(t)],
            ),
            None => return None,
        },
        _ if owned => match manager_team {
            Some(t) => (
                "owner_id IN (SELECT id FROM users WHERE team_id = ?)",
                vec![Param::Int(t)],
            ),
            None => ("owner_id = ?", vec![Param::Int(me)]),
        },
        _ => return None,
    };
    let rows = served
        .check
        .query_with(
            &format!("SELECT id FROM {table} WHERE ({condition}) AND {live}"),
            &params,
        )
        .unwrap();
    Some(rows.rows.iter().map(|r| r[0].as_i64().unwrap()).collect())
}

fn listed(served: &Served, token: &str, table: &str) -> (u16, BTreeSet<i64>) {
    let mut ids = BTreeSet::new();
    let mut cursor = String::new();
    loop {
        let mut response = served
            .agent
            .get(&format!("{}/{table}?limit=500{cursor}", served.base))
            .header("Authorization", &format!("Bearer {token}"))
            .call()
            .unwrap();
        let status = response.status().as_u16();
        let body: Value =
            serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
        if status != 200 {
            return (status, ids);
        }
        ids.extend(
            body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_i64().unwrap()),
        );
        match body["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return (200, ids),
        }
    }
}

/// GET `path` with `token`: status and JSON body.
fn get(served: &Served, token: &str, path: &str) -> (u16, Value) {
    let mut response = served
        .agent
        .get(&format!("{}{path}", served.base))
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .unwrap();
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn exported(served: &Served, token: &str, table: &str) -> (u16, BTreeSet<i64>) {
    let mut response = served
        .agent
        .get(&format!("{}/export/{table}?format=json", served.base))
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .unwrap();
    let status = response.status().as_u16();
    let body: Value = serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
    let ids = body
        .as_array()
        .map(|rows| rows.iter().map(|r| r["id"].as_i64().unwrap()).collect())
        .unwrap_or_default();
    (status, ids)
}

#[test]
fn no_list_or_export_leaves_the_callers_scope() {
    let served = serve();
    let cases = (
        prop::sample::select(Role::ALL.to_vec()),
        prop::option::of(0usize..8),
        0usize..4,
        prop::sample::select(TABLES.to_vec()),
    );
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 24,
        ..ProptestConfig::default()
    });
    // Each case's user needs a fresh e-mail, shrinking included.
    let n = std::sync::atomic::AtomicUsize::new(0);
    runner
        .run(&cases, |(role, team, deals, table)| {
            let case = n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            one_case(&served, case, role, team, deals, table)
        })
        .unwrap();
}

/// A new user of `role` (in a team or not) who owns `deals` deals lists and exports `table`.
fn one_case(
    served: &Served,
    n: usize,
    role: Role,
    team: Option<usize>,
    deals: usize,
    table: &str,
) -> Result<(), TestCaseError> {
    let team = team.and_then(|i| served.teams.get(i % served.teams.len().max(1)).copied());
    let now = chrono::Utc::now().naive_utc();
    let team_name = team.map(|t| {
        served
            .check
            .query_with("SELECT name FROM teams WHERE id = ?", &[Param::Int(t)])
            .unwrap()
            .rows[0][0]
            .as_str()
            .unwrap()
            .to_owned()
    });
    let user = users::NewUser {
        name: format!("Case {n}"),
        email: format!("case{n}@example.com"),
        role,
        team: team_name,
    };
    let me = users::add(&served.check, &user, "a long case password", now).unwrap();
    let token = users::create_token(&served.check, &user.email, "case", now).unwrap();
    // Some records of their own: existing deals handed to them.
    served
        .check
        .execute_with(
            "UPDATE deals SET owner_id = ? WHERE id IN (SELECT id FROM deals ORDER BY (id * 2654435761 + ?) % 1000003, id LIMIT ?)",
            &[Param::Int(me), Param::Int(n as i64), Param::Int(deals as i64)],
        )
        .unwrap();

    let want = expected(served, role, me, team, table);
    let (status, got) = listed(served, &token, table);
    match &want {
        None => prop_assert_eq!(status, 403, "{:?} listing {}", role, table),
        Some(ids) => {
            prop_assert_eq!(status, 200);
            prop_assert_eq!(&got, ids, "{:?} team {:?} listing {}", role, team, table);
        }
    }
    let (status, got) = exported(served, &token, table);
    match &want {
        None => prop_assert_eq!(status, 403),
        Some(ids) => {
            prop_assert_eq!(status, 200);
            prop_assert_eq!(&got, ids, "{:?} exporting {}", role, table);
        }
    }

    // A report and a metric: what the admin sees filtered to the caller's records, by hand.
    let filter = match (role, &user.team) {
        (Role::Manager, Some(team)) => Some(("team", team.clone())),
        (Role::Manager | Role::Rep, _) => Some(("owner", user.name.clone())),
        _ => None,
    };
    let encode = |text: &str| text.replace(' ', "%20");
    let report = "/reports/pipeline?at=2026-06-30T12:00:00Z";
    let metric = "/metrics/close_rate?from=2025-07-01&to=2026-07-01&grain=quarter";
    let (status, mine) = get(served, &token, report);
    let (metric_status, my_metric) = get(served, &token, metric);
    match (role, &filter) {
        (Role::Agent, _) => {
            prop_assert_eq!(status, 403);
            prop_assert_eq!(metric_status, 403);
        }
        (_, Some((dimension, value))) => {
            let (_, theirs) = get(
                served,
                &served.admin,
                &format!("{report}&{dimension}={}", encode(value)),
            );
            prop_assert_eq!(
                &mine["sections"],
                &theirs["sections"],
                "{:?} pipeline",
                role
            );
            let (_, theirs) = get(
                served,
                &served.admin,
                &format!("{metric}&filter={dimension}:{}", encode(value)),
            );
            prop_assert_eq!(&my_metric["rows"], &theirs["rows"], "{:?} close_rate", role);
        }
        (_, None) => {
            // A request the cache has not seen (the default language named), so the
            // admin's answer is computed afresh rather than handed back from the same entry.
            let (_, everyone) = get(served, &served.admin, &format!("{report}&lang=en"));
            prop_assert_eq!(status, 200);
            prop_assert_eq!(&mine["sections"], &everyone["sections"]);
        }
    }
    // The audit reads everyone's records: an admin's only.
    let (status, _) = get(served, &token, "/audit?check=contacts.email.invalid");
    prop_assert_eq!(
        status == 200,
        role == Role::Admin,
        "{:?} audit {}",
        role,
        status
    );
    Ok(())
}
