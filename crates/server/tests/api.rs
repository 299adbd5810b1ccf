//! The API over a real socket: a generated small business, a user of each role, and the
//! server listening on a free port; expected rows come from plain SQL on the same store.

mod support;

use embudo_access::secret;
use embudo_store::Param;
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::Instant;
use support::server::{PASSWORD, read, start};

fn ids_of(items: &[Value]) -> BTreeSet<i64> {
    items.iter().map(|i| i["id"].as_i64().unwrap()).collect()
}

#[test]
fn each_role_lists_exactly_the_records_of_its_scope() {
    let server = start();
    let (_, _, rep) = &server.people["rep"];
    let live = "deleted_at IS NULL AND merged_into_id IS NULL";
    // A rep: the deals and contacts they own.
    let own_deals = server.ids(
        &format!("SELECT id FROM deals WHERE owner_id = ? AND {live}"),
        &[Param::Int(*rep)],
    );
    assert!(!own_deals.is_empty());
    assert_eq!(ids_of(&server.all("rep", "/deals")), own_deals);
    let own_contacts = server.ids(
        &format!("SELECT id FROM contacts WHERE owner_id = ? AND {live}"),
        &[Param::Int(*rep)],
    );
    assert_eq!(ids_of(&server.all("rep", "/contacts")), own_contacts);
    // A manager: their team's deals, more than one rep's.
    let (_, _, manager) = &server.people["manager"];
    let team_deals = server.ids(
        &format!(
            "SELECT id FROM deals WHERE owner_id IN (SELECT id FROM users WHERE team_id =
               (SELECT team_id FROM users WHERE id = ?)) AND {live}"
        ),
        &[Param::Int(*manager)],
    );
    assert!(team_deals.len() > own_deals.len());
    assert_eq!(ids_of(&server.all("manager", "/deals")), team_deals);
    // An admin: every live deal.
    let every = server.ids(&format!("SELECT id FROM deals WHERE {live}"), &[]);
    assert_eq!(ids_of(&server.all("admin", "/deals")), every);
    // An agent sees tickets, not deals; a viewer no records at all.
    assert_eq!(server.get("agent", "/deals").0, 403);
    let tickets = server.ids("SELECT id FROM tickets", &[]);
    assert_eq!(ids_of(&server.all("agent", "/tickets")), tickets);
    assert_eq!(server.get("viewer", "/contacts").0, 403);
    assert_eq!(server.get("rep", "/tickets").0, 403);
    // One record: the rep's own, yes; another's, as if it did not exist.
    let mine = own_deals.iter().next().unwrap();
    assert_eq!(server.get("rep", &format!("/deals/{mine}")).0, 200);
    let other = every.difference(&team_deals).next().unwrap();
    assert_eq!(server.get("rep", &format!("/deals/{other}")).0, 404);
    assert_eq!(server.get("admin", &format!("/deals/{other}")).0, 200);
}

#[test]
fn lists_filter_sort_and_page() {
    let server = start();
    let won = server.ids(
        "SELECT id FROM deals WHERE status = 'won' AND deleted_at IS NULL AND merged_into_id IS NULL",
        &[],
    );
    assert_eq!(ids_of(&server.all("admin", "/deals?status=won")), won);
    let (status, body) = server.get("admin", "/deals?sort=-amount&limit=3");
    assert_eq!(status, 200);
    let amounts: Vec<f64> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["amount"].as_f64().unwrap())
        .collect();
    let top = server
        .check
        .query_with(
            "SELECT CAST(amount AS DOUBLE PRECISION) FROM deals WHERE deleted_at IS NULL AND merged_into_id IS NULL
              ORDER BY amount DESC NULLS LAST, id LIMIT 3",
            &[],
        )
        .unwrap();
    let expected: Vec<f64> = top.rows.iter().map(|r| r[0].as_f64().unwrap()).collect();
    assert_eq!(amounts, expected);
    assert!(body["next_cursor"].is_string());
    // Bad input names the field.
    for (path, field) in [
        ("/deals?limit=0", "limit"),
        ("/deals?limit=abc", "limit"),
        ("/deals?sort=password", "sort"),
        ("/deals?no_such_column=1", "no_such_column"),
        ("/deals?cursor=-1", "cursor"),
        ("/reports/pipeline?format=pdf", "format"),
        ("/reports/pipeline?bogus=1", "query"),
        ("/metrics/close_rate?from=2026-01-01", "to"),
    ] {
        let (status, body) = server.get("admin", path);
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["error"]["field"], field, "{path}: {body}");
    }
    assert_eq!(server.get("admin", "/reports/nope").0, 404);
    assert_eq!(server.get("admin", "/deals/notanumber").0, 400);
}

#[test]
fn reports_and_metrics_cover_only_the_callers_records() {
    let server = start();
    let (_, rep_name, _) = &server.people["rep"];
    let at = "at=2026-06-30T12:00:00Z";
    let owner = rep_name.replace(' ', "%20");
    // Every report a rep may open is the admin's with the rep as owner filter.
    for report in embudo_access::scope::SCOPED_REPORTS {
        let range = format!("{at}&from=2025-07-01&to=2026-07-01");
        let (status, mine) = server.get("rep", &format!("/reports/{report}?{range}"));
        assert_eq!(status, 200, "{report}: {mine}");
        let (_, theirs) = server.get("admin", &format!("/reports/{report}?{range}&owner={owner}"));
        assert_eq!(mine["sections"], theirs["sections"], "{report}");
    }
    let (_, mine) = server.get("rep", &format!("/reports/pipeline?{at}"));
    let (_, everyone) = server.get("admin", &format!("/reports/pipeline?{at}"));
    assert_ne!(mine["sections"], everyone["sections"]);
    // Asking for someone else's records, or a report mixing in everyone's, is refused.
    assert_eq!(
        server
            .get(
                "rep",
                &format!("/reports/pipeline?{at}&owner=Somebody%20Else")
            )
            .0,
        403
    );
    assert_eq!(server.get("rep", "/reports/campaigns").0, 403);
    assert_eq!(server.get("agent", "/reports/service").0, 200);
    assert_eq!(server.get("agent", "/reports/pipeline").0, 403);
    assert_eq!(server.get("viewer", "/reports/campaigns").0, 200);
    let listed = server.get("rep", "/reports").1;
    assert!(
        listed["reports"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["name"] != "campaigns")
    );
    // A metric: the rep's close rate is the admin's filtered to the rep.
    let range = "from=2025-07-01&to=2026-07-01&grain=quarter";
    let (status, mine) = server.get("rep", &format!("/metrics/close_rate?{range}"));
    assert_eq!(status, 200, "{mine}");
    let (_, theirs) = server.get(
        "admin",
        &format!("/metrics/close_rate?{range}&filter=owner:{owner}"),
    );
    assert_eq!(mine["rows"], theirs["rows"]);
    assert_eq!(
        server
            .get(
                "rep",
                &format!("/metrics/close_rate?{range}&filter=owner:Somebody")
            )
            .0,
        403
    );
    // Formats.
    let csv = server.fetch("admin", "/reports/pipeline?format=csv");
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    // Views of reports and reads of records are recorded (in batches, within a second).
    let (_, _, rep_id) = &server.people["rep"];
    server.get("rep", "/deals?limit=1");
    let recorded = |event: &str| {
        server
            .check
            .query_with(
                "SELECT count(*) FROM user_events WHERE user_id = ? AND event = ?",
                &[Param::Int(*rep_id), Param::Text(event.into())],
            )
            .unwrap()
            .rows[0][0]
            .as_i64()
            .unwrap()
    };
    let waited = Instant::now();
    while (recorded("report_viewed") == 0 || recorded("record_viewed") == 0)
        && waited.elapsed().as_secs() < 5
    {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(recorded("report_viewed") >= 1 && recorded("record_viewed") >= 1);
}

#[test]
fn sessions_need_csrf_for_writes_and_failed_logins_are_limited() {
    let server = start();
    let (email, _, _) = &server.people["manager"];
    let (status, body, cookie) = server.login(email, PASSWORD);
    assert_eq!(status, 200, "{body}");
    let cookie = cookie.unwrap();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let session = cookie.split(';').next().unwrap().to_owned();
    let csrf = body["csrf_token"].as_str().unwrap().to_owned();
    let me = server
        .agent
        .get(&format!("{}/me", server.base))
        .header("Cookie", &session)
        .call()
        .unwrap();
    assert_eq!(read(me).1["role"], "manager");
    // A cookie write without the CSRF token is refused; with it, it goes through.
    let logout = |csrf: Option<&str>| {
        let mut request = server
            .agent
            .post(&format!("{}/logout", server.base))
            .header("Cookie", &session);
        if let Some(token) = csrf {
            request = request.header("X-CSRF-Token", token);
        }
        read(request.send_empty().unwrap()).0
    };
    assert_eq!(logout(None), 403);
    assert_eq!(logout(Some("not the token")), 403);
    assert_eq!(logout(Some(&csrf)), 200);
    assert_eq!(logout(Some(&csrf)), 401, "the session has ended");

    // Five failures lock the account for a while, even for the right password.
    let (admin, _, _) = &server.people["admin"];
    for _ in 0..5 {
        assert_eq!(server.login(admin, "wrong password!").0, 401);
    }
    assert_eq!(server.login(admin, PASSWORD).0, 429);
    // Malformed bodies are errors that say so.
    let bad = server
        .agent
        .post(&format!("{}/login", server.base))
        .header("content-type", "application/json")
        .send("{not json")
        .unwrap();
    let (status, body) = read(bad);
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (400, Some("body"))
    );
}

#[test]
fn a_failed_login_takes_as_long_whether_or_not_the_user_exists() {
    let server = start();
    let (email, _, _) = &server.people["viewer"];
    let time = |email: &str| {
        let started = Instant::now();
        assert_eq!(server.login(email, "not the password").0, 401);
        started.elapsed().as_secs_f64()
    };
    // Warm up the decoy hash, then compare medians of three.
    time("nobody@example.com");
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[1]
    };
    let known = median((0..3).map(|_| time(email)).collect());
    let unknown = median(
        (0..3)
            .map(|i| time(&format!("nobody{i}@example.com")))
            .collect(),
    );
    let ratio = known / unknown;
    // Without the decoy hash an unknown e-mail would answer some fifty times sooner.
    assert!((0.25..4.0).contains(&ratio), "{known} vs {unknown}");
}

#[test]
fn health_answers_with_security_headers_and_a_request_id() {
    let server = start();
    let response = server
        .agent
        .get(&format!("{}/health", server.base))
        .call()
        .unwrap();
    let headers = response.headers().clone();
    let (status, body) = read(response);
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("cache-control", "no-store"),
    ] {
        assert_eq!(headers[name], value);
    }
    assert!(headers.contains_key("content-security-policy"));
    assert_eq!(headers["x-request-id"].len(), 36);
    assert_eq!(server.get("admin", "/nowhere").0, 404);
    // No token, a bad token, a revoked one.
    let anonymous = server
        .agent
        .get(&format!("{}/deals", server.base))
        .call()
        .unwrap();
    assert_eq!(read(anonymous).0, 401);
    // A disabled user's token stops working at once, though the server had just seen it.
    assert_eq!(server.get("rep", "/deals").0, 200);
    let (email, _, _) = &server.people["rep"];
    let (admin, _, _) = &server.people["admin"];
    let (_, login, cookie) = server.login(admin, PASSWORD);
    let cookie = cookie.unwrap().split(';').next().unwrap().to_owned();
    let root = server.base.trim_end_matches("/api/v1");
    let disabled = server
        .agent
        .post(&format!("{root}/admin/disable"))
        .header("Cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .send(format!(
            "csrf={}&email={}",
            login["csrf_token"].as_str().unwrap(),
            email.replace('@', "%40")
        ))
        .unwrap();
    assert!(disabled.status().as_u16() < 400, "{}", disabled.status());
    let active = server.one(
        "SELECT active FROM users WHERE email = ?",
        &[Param::Text(email.clone())],
    );
    assert_eq!(active, serde_json::json!(false));
    assert_eq!(server.get("rep", "/deals").0, 401);
    assert_eq!(secret::digest("x").len(), 64);
}

/// The first open stage and the won stage of the first pipeline.
fn first_and_won_stages(server: &support::server::Server) -> (Value, Value) {
    let first = server.one(
        "SELECT id FROM stages WHERE pipeline_id = 1 AND kind = 'open' ORDER BY position LIMIT 1",
        &[],
    );
    let won = server.one(
        "SELECT id FROM stages WHERE pipeline_id = 1 AND kind = 'won'",
        &[],
    );
    (first, won)
}

#[test]
fn a_rep_creates_moves_and_deletes_their_deal_and_nothing_else() {
    let server = start();
    let (_, _, rep) = server.people["rep"].clone();
    let (first, won) = first_and_won_stages(&server);
    let at = "/reports/pipeline?at=2030-01-01";
    let open_before = server.get("admin", at).1["sections"].clone();

    let (status, deal) = server.send(
        "rep",
        "POST",
        "/deals",
        serde_json::json!({ "name": "Test deal", "stage_id": first, "amount": 900 }),
    );
    assert_eq!(status, 201, "{deal}");
    let id = deal["id"].as_i64().unwrap();
    assert_eq!(
        (
            deal["owner_id"].as_i64(),
            deal["status"].as_str(),
            deal["pipeline_id"].as_i64()
        ),
        (Some(rep), Some("open"), Some(1))
    );
    let visits = "SELECT count(*) FILTER (WHERE exited_at IS NULL), count(*) FROM deal_stage_history WHERE deal_id = ?";
    assert_eq!(
        server
            .check
            .query_with(visits, &[Param::Int(id)])
            .unwrap()
            .rows[0],
        [serde_json::json!(1), serde_json::json!(1)]
    );
    // The write made the cached report stale.
    assert_ne!(server.get("admin", at).1["sections"], open_before);

    // Won, with a new amount: a closed visit and an open one, the change kept, closed_at set.
    let (status, moved) = server.send(
        "rep",
        "PATCH",
        &format!("/deals/{id}"),
        serde_json::json!({ "stage_id": won, "amount": "1200.50" }),
    );
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["status"], "won");
    assert!(moved["closed_at"].is_string());
    assert_eq!(
        server
            .check
            .query_with(visits, &[Param::Int(id)])
            .unwrap()
            .rows[0],
        [serde_json::json!(1), serde_json::json!(2)]
    );
    let change = server
        .check
        .query_with(
            "SELECT old_value, new_value, changed_by FROM deal_changes WHERE deal_id = ? AND field = 'amount'",
            &[Param::Int(id)],
        )
        .unwrap();
    assert_eq!(change.rows.len(), 1);
    assert_eq!(change.rows[0][0], "900.00");
    assert_eq!(change.rows[0][1], "1200.50");
    let stage_change = server.one(
        "SELECT old_value || ' ' || new_value FROM deal_changes WHERE deal_id = ? AND field = 'stage_id'",
        &[Param::Int(id)],
    );
    assert_eq!(stage_change, format!("{first} {won}"));
    // The two changes of the one write, numbered in the order of their fields' names.
    let order = server.one(
        "SELECT string_agg(field, ' ' ORDER BY id) FROM deal_changes WHERE deal_id = ?",
        &[Param::Int(id)],
    );
    assert_eq!(order, "amount stage_id");
    assert_eq!(change.rows[0][2].as_i64(), Some(rep));

    // Handing it to someone else would take it out of the rep's sight: refused, unchanged.
    let (_, _, admin) = server.people["admin"].clone();
    let (status, _) = server.send(
        "rep",
        "PATCH",
        &format!("/deals/{id}"),
        serde_json::json!({ "owner_id": admin }),
    );
    assert_eq!(status, 404);
    assert_eq!(
        server
            .one("SELECT owner_id FROM deals WHERE id = ?", &[Param::Int(id)])
            .as_i64(),
        Some(rep)
    );
    // Someone else's deal, and roles that may not write deals.
    let other = server.one(
        "SELECT min(id) FROM deals WHERE owner_id <> ? AND deleted_at IS NULL",
        &[Param::Int(rep)],
    );
    let (status, _) = server.send(
        "rep",
        "PATCH",
        &format!("/deals/{other}"),
        serde_json::json!({ "amount": 1 }),
    );
    assert_eq!(status, 404);
    for role in ["viewer", "agent"] {
        let (status, _) = server.send(
            role,
            "POST",
            "/deals",
            serde_json::json!({ "stage_id": first }),
        );
        assert_eq!(status, 403, "{role}");
    }
    // Bad values name their field.
    for (body, field) in [
        (
            serde_json::json!({ "stage_id": first, "amount": "lots" }),
            "amount",
        ),
        (
            serde_json::json!({ "stage_id": first, "password": "x" }),
            "password",
        ),
        (serde_json::json!({ "amount": 5 }), "stage_id"),
        (serde_json::json!({ "stage_id": 999_999 }), "stage_id"),
    ] {
        let (status, error) = server.send("rep", "POST", "/deals", body);
        assert_eq!(
            (status, error["error"]["field"].as_str()),
            (400, Some(field)),
            "{error}"
        );
    }

    // Deleting is soft: the row stays with deleted_at, and leaves the lists.
    assert_eq!(
        server
            .send("rep", "DELETE", &format!("/deals/{id}"), Value::Null)
            .0,
        204
    );
    assert_eq!(server.get("rep", &format!("/deals/{id}")).0, 404);
    assert!(
        server
            .one(
                "SELECT deleted_at FROM deals WHERE id = ?",
                &[Param::Int(id)]
            )
            .is_string()
    );
    assert_eq!(
        server
            .send("admin", "DELETE", "/activities/1", Value::Null)
            .0,
        405
    );
}

#[test]
fn exports_audits_merges_and_forecasts_respect_roles() {
    let server = start();
    let (_, _, rep) = server.people["rep"].clone();
    // A rep's export holds their deals and nothing else.
    let response = server
        .agent
        .get(&format!("{}/export/deals", server.base))
        .header("Authorization", &format!("Bearer {}", server.tokens["rep"]))
        .call()
        .unwrap();
    let text = {
        let mut response = response;
        response.body_mut().read_to_string().unwrap()
    };
    let own = server.one(
        "SELECT count(*) FROM deals WHERE owner_id = ? AND deleted_at IS NULL AND merged_into_id IS NULL",
        &[Param::Int(rep)],
    );
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(reader.records().count() as i64, own.as_i64().unwrap());
    let (status, json) = server.get("rep", "/export/deals?format=json");
    assert_eq!(
        (status, json.as_array().map(Vec::len)),
        (200, own.as_i64().map(|n| n as usize))
    );
    assert_eq!(server.get("rep", "/export/users").0, 403);
    assert_eq!(server.get("viewer", "/export/contacts").0, 403);
    assert_eq!(server.get("admin", "/export/users?format=json").0, 200);
    assert_eq!(server.get("admin", "/export/nothing").0, 404);

    // The audit reads everyone's records: admins only.
    assert_eq!(server.get("rep", "/audit").0, 403);
    let (status, audit) = server.get("admin", "/audit?entity=contacts");
    assert_eq!(status, 200, "{audit}");
    assert!(audit["scores"]["overall"].is_number());
    assert_eq!(
        server.get("admin", "/audit/duplicates?entity=contacts").0,
        200
    );
    assert_eq!(server.get("admin", "/audit/duplicates?threshold=3").0, 400);
    let (status, error) = server.send(
        "admin",
        "POST",
        "/audit/fix",
        serde_json::json!({ "check": "nope" }),
    );
    assert_eq!(
        (status, error["error"]["field"].as_str()),
        (400, Some("check"))
    );
    let pair = server
        .check
        .query_with("SELECT id FROM contacts ORDER BY id LIMIT 2", &[])
        .unwrap();
    let ids: Vec<i64> = pair.rows.iter().map(|r| r[0].as_i64().unwrap()).collect();
    let (status, merged) = server.send(
        "admin",
        "POST",
        "/merge",
        serde_json::json!({ "entity": "contacts", "ids": ids, "dry_run": true }),
    );
    assert_eq!(status, 200, "{merged}");
    assert_eq!(
        server
            .one("SELECT count(*) FROM merge_journal", &[])
            .as_i64(),
        Some(0),
        "a dry run keeps nothing"
    );
    assert_eq!(
        server
            .send(
                "rep",
                "POST",
                "/merge",
                serde_json::json!({ "entity": "contacts", "ids": ids })
            )
            .0,
        403
    );

    // The forecast over the rep's deals; a deal explained only to someone who sees it.
    assert_eq!(server.get("rep", "/forecast?at=2026-06-30").0, 200);
    assert_eq!(server.get("agent", "/forecast").0, 403);
    let open = server.one(
        "SELECT min(id) FROM deals WHERE owner_id = ? AND status = 'open' AND deleted_at IS NULL",
        &[Param::Int(rep)],
    );
    let (status, explained) = server.get("rep", &format!("/deals/{open}/explain"));
    assert_eq!(status, 200, "{explained}");
    assert!(explained["probability"].is_number());
    let foreign = server.one(
        "SELECT min(id) FROM deals WHERE owner_id <> ? AND status = 'open'",
        &[Param::Int(rep)],
    );
    assert_eq!(
        server.get("rep", &format!("/deals/{foreign}/explain")).0,
        404
    );
}

#[test]
fn every_described_operation_is_routed_and_bad_input_never_gets_a_500() {
    let server = start();
    let (status, document) = server.get("admin", "/openapi.json");
    assert_eq!(status, 200);
    assert_eq!(document["openapi"], "3.1.0");
    for (method, path) in embudo_server::openapi::described() {
        let concrete = path
            .replace("{name}", "pipeline")
            .replace("{table}", "deals")
            .replace("{id}", "1");
        // A body that is not what any operation wants, and a query no operation knows.
        let garbage = serde_json::json!({ "no such field": [1, 2, 3] });
        let (status, body) = match method {
            "get" => server.get("admin", &format!("{concrete}?zz=%ff%fe")),
            "post" | "patch" => server.send("admin", &method.to_uppercase(), &concrete, garbage),
            _ => server.send("admin", "DELETE", &concrete, Value::Null),
        };
        assert_ne!(
            body["error"]["message"], "no such route; the API lives under /api/v1",
            "{method} {path} is described but not routed"
        );
        // 405 only as the answer for tables without soft deletion, never the router's.
        assert!(
            status != 405 || body["error"]["code"] == "not_deletable",
            "{method} {path}"
        );
        assert!(status < 500, "{method} {path}: {status} {body}");
    }
}

#[test]
fn an_answer_given_before_the_body_was_read_closes_the_connection() {
    use std::io::{Read, Write};
    let server = start();
    let address = server.address();
    // The query string is rejected before the body is read, and the body is held back: the
    // connection cannot carry another request, and the answer must say so.
    let mut socket = std::net::TcpStream::connect(address).unwrap();
    let head = format!(
        "POST /api/v1/import HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: text/csv\r\nContent-Length: 64\r\n\r\n",
        server.tokens["admin"]
    );
    socket.write_all(head.as_bytes()).unwrap();
    let mut answer = String::new();
    socket.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("\r\nconnection: close\r\n"),
        "{answer}"
    );

    // A body read to its end keeps the connection open for the next request.
    let mut socket = std::net::TcpStream::connect(address).unwrap();
    let body = "{}";
    let head = format!(
        "POST /api/v1/query HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        server.tokens["admin"],
        body.len()
    );
    socket.write_all(head.as_bytes()).unwrap();
    socket
        .set_read_timeout(Some(std::time::Duration::from_millis(500)))
        .unwrap();
    let mut buffer = vec![0; 64 * 1024];
    let read = socket.read(&mut buffer).unwrap();
    let answer = String::from_utf8_lossy(&buffer[..read]).to_ascii_lowercase();
    assert!(answer.starts_with("http/1.1 400"), "{answer}");
    assert!(!answer.contains("connection: close"), "{answer}");
}

/// `body` sent as a CSV file to `POST /import?{query}` as `role`: the answer's status and
/// body.
fn upload(server: &support::server::Server, role: &str, query: &str, body: &str) -> (u16, Value) {
    let response = server
        .agent
        .post(&format!("{}/import?{query}", server.base))
        .header("Authorization", &format!("Bearer {}", server.tokens[role]))
        .header("content-type", "text/csv")
        .send(body)
        .unwrap();
    read(response)
}

#[test]
fn imports_and_custom_reports_over_the_api() {
    let server = start();
    let upload = |role: &str, query: &str, body: &str| upload(&server, role, query, body);
    let csv =
        "First Name,Last Name,Email\nAna,Api,ana.api@example.com\nBo,Api,bo.api@example.com\n";
    let (status, report) = upload(
        "admin",
        "entity=contacts&filename=new.csv&preset=hubspot",
        csv,
    );
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["files"][0]["inserted"], 2);
    assert_eq!(
        server
            .one(
                "SELECT count(*) FROM contacts WHERE email LIKE '%.api@example.com'",
                &[]
            )
            .as_i64(),
        Some(2)
    );
    assert_eq!(
        upload("rep", "entity=contacts&filename=new.csv", csv).0,
        403
    );
    assert_eq!(
        upload("admin", "entity=contacts&filename=noextension", csv).1["error"]["field"],
        "filename"
    );
    assert_eq!(
        upload("admin", "entity=nothing&filename=a.csv", csv).1["error"]["field"],
        "entity"
    );

    // A custom report as a rep is the admin's filtered to the rep; saved and run again.
    let (_, rep_name, _) = &server.people["rep"];
    let spec = serde_json::json!({
        "metrics": ["close_rate", "deals_won"],
        "from": "2025-07-01",
        "to": "2026-07-01",
        "grain": "quarter",
        "save": "rep quarter"
    });
    let (status, mine) = server.send("rep", "POST", "/query", spec.clone());
    assert_eq!(status, 200, "{mine}");
    let mut theirs = spec.clone();
    theirs["filters"] = serde_json::json!({ "owner": rep_name });
    theirs.as_object_mut().unwrap().remove("save");
    let (_, theirs) = server.send("admin", "POST", "/query", theirs);
    assert_eq!(mine["rows"], theirs["rows"]);
    let (status, listed) = server.get("rep", "/saved-reports");
    assert_eq!(status, 200);
    assert!(listed.to_string().contains("rep quarter"));
    let (status, again) = server.get("rep", "/saved-reports/rep%20quarter");
    assert_eq!(status, 200);
    assert_eq!(again["rows"], mine["rows"]);
    assert_eq!(server.get("rep", "/saved-reports/nope").0, 404);
    // What the figures cannot say themselves comes with them: a quarter from its middle
    // (15 August 2025 to 30 September, of the quarter of 1 July) is named, once for both
    // metrics; whole quarters are not.
    assert_eq!(mine["notes"], serde_json::json!([]));
    let mut cut = spec.clone();
    cut["from"] = serde_json::json!("2025-08-15");
    cut.as_object_mut().unwrap().remove("save");
    let (status, cut) = server.send("rep", "POST", "/query", cut);
    assert_eq!(status, 200, "{cut}");
    assert_eq!(
        cut["notes"],
        serde_json::json!([
            "The first period (2025-07-01) counts only 2025-08-15 to 2025-09-30, not the whole quarter"
        ])
    );
    assert_eq!(again["notes"], mine["notes"]);
    // Saved, and opened in Spanish: its notes in Spanish.
    let mut cut_saved = spec.clone();
    cut_saved["from"] = serde_json::json!("2025-08-15");
    cut_saved["save"] = serde_json::json!("rep cut");
    assert_eq!(server.send("rep", "POST", "/query", cut_saved).0, 200);
    let (status, spanish) = server.get("rep", "/saved-reports/rep%20cut?lang=es");
    assert_eq!(status, 200, "{spanish}");
    assert_eq!(
        spanish["notes"],
        serde_json::json!([
            "El primer periodo (2025-07-01) cuenta solo del 2025-08-15 al 2025-09-30, no el trimestre entero"
        ])
    );
    let mut campaigns = spec;
    campaigns["metrics"] = serde_json::json!(["campaign_roi"]);
    assert_eq!(server.send("rep", "POST", "/query", campaigns).0, 403);
}

#[test]
fn a_vendors_export_uploaded_without_its_preset_gets_a_hint() {
    let server = start();
    let upload = |query: &str| {
        let deals = "Record ID,Deal Name,Pipeline,Deal Stage,Amount,Close Date,Create Date,Deal owner\n\
                     1,Won one,Sales Pipeline,Closed Won,100,2026-01-20,2026-01-05,Ana Ruiz\n";
        let (status, report) = upload(
            &server,
            "admin",
            &format!("entity=deals&filename=deals.csv&dry_run=true{query}"),
            deals,
        );
        assert_eq!(status, 200, "{report}");
        report["hint"].clone()
    };
    assert_eq!(
        upload(""),
        "this looks like a HubSpot export; preset=hubspot reads Close Date, Deal owner as HubSpot means them"
    );
    // A header the caller mapped reads as they said; the others are still named.
    let mapped = "&columns=%7B%22owner%22%3A%22Deal%20owner%22%7D";
    assert_eq!(
        upload(mapped),
        "this looks like a HubSpot export; preset=hubspot reads Close Date as HubSpot means them"
    );
    assert_eq!(upload("&preset=hubspot"), Value::Null);
}

#[test]
fn a_merge_is_undone_and_a_fix_previewed_over_the_api() {
    let server = start();
    let pair = server
        .check
        .query_with(
            "SELECT id FROM contacts WHERE deleted_at IS NULL AND merged_into_id IS NULL ORDER BY id LIMIT 2",
            &[],
        )
        .unwrap();
    let ids: Vec<i64> = pair.rows.iter().map(|r| r[0].as_i64().unwrap()).collect();
    let (status, merged) = server.send(
        "admin",
        "POST",
        "/merge",
        serde_json::json!({ "entity": "contacts", "ids": ids, "survivor": ids[0] }),
    );
    assert_eq!(status, 200, "{merged}");
    let gone = server.one(
        "SELECT merged_into_id FROM contacts WHERE id = ?",
        &[Param::Int(ids[1])],
    );
    assert_eq!(gone.as_i64(), Some(ids[0]));
    let journal = server.one("SELECT max(id) FROM merge_journal", &[]);
    let (status, undone) = server.send(
        "admin",
        "POST",
        "/unmerge",
        serde_json::json!({ "journal_id": journal }),
    );
    assert_eq!(status, 200, "{undone}");
    assert_eq!(undone["restored_id"].as_i64(), Some(ids[1]));
    assert!(
        server
            .one(
                "SELECT merged_into_id FROM contacts WHERE id = ?",
                &[Param::Int(ids[1])]
            )
            .is_null()
    );
    // A second undo of the same merge is refused, not a 500.
    let (status, _) = server.send(
        "admin",
        "POST",
        "/unmerge",
        serde_json::json!({ "journal_id": journal }),
    );
    assert_eq!(status, 400);
    // A fix previewed changes nothing.
    let before = server.one("SELECT count(*) FROM fix_journal", &[]);
    let (status, preview) = server.send(
        "admin",
        "POST",
        "/audit/fix",
        serde_json::json!({ "check": "contacts.country.label" }),
    );
    assert_eq!(status, 200, "{preview}");
    assert_eq!(preview["applied"], false);
    assert_eq!(server.one("SELECT count(*) FROM fix_journal", &[]), before);
    // A manager sets a goal for their team; a rep may not.
    let team = server.one(
        "SELECT team_id FROM users WHERE id = ?",
        &[Param::Int(server.people["manager"].2)],
    );
    let goal = serde_json::json!({
        "name": "Team revenue", "metric": "revenue", "target": 100000,
        "period_start": "2026-07-01", "period_end": "2026-10-01",
        "scope": "team", "scope_id": team, "direction": "at_least"
    });
    let (status, created) = server.send("manager", "POST", "/goals", goal.clone());
    assert_eq!(status, 201, "{created}");
    assert_eq!(server.send("rep", "POST", "/goals", goal).0, 403);
}

/// A contact's `customer_at` follows its revenue through the API: set by its first won deal,
/// moved to another contact with the deal, cleared when that deal is deleted.
#[test]
fn a_contact_becomes_a_customer_through_the_api_and_stops_when_its_deal_goes() {
    let server = start();
    let (first, won) = first_and_won_stages(&server);
    let (status, contact) = server.send(
        "admin",
        "POST",
        "/contacts",
        serde_json::json!({ "first_name": "Nora", "last_name": "Vega", "email": "nora@example.com" }),
    );
    assert_eq!(status, 201, "{contact}");
    let contact = contact["id"].as_i64().unwrap();
    let customer_at = || {
        server.one(
            "SELECT CAST(customer_at AS VARCHAR) FROM contacts WHERE id = ?",
            &[Param::Int(contact)],
        )
    };
    let (status, deal) = server.send(
        "admin",
        "POST",
        "/deals",
        serde_json::json!({ "name": "Nora's deal", "stage_id": first, "amount": 300, "contact_id": contact }),
    );
    assert_eq!(status, 201, "{deal}");
    let deal = deal["id"].as_i64().unwrap();
    assert_eq!(customer_at(), Value::Null, "an open deal is no revenue");
    let (status, moved) = server.send(
        "admin",
        "PATCH",
        &format!("/deals/{deal}"),
        serde_json::json!({ "stage_id": won }),
    );
    assert_eq!(status, 200, "{moved}");
    let closed = server.one(
        "SELECT CAST(closed_at AS VARCHAR) FROM deals WHERE id = ?",
        &[Param::Int(deal)],
    );
    assert!(closed.is_string());
    assert_eq!(customer_at(), closed);
    // The deal was Nora's; now it is Omar's: the contact it left is refreshed too.
    let (status, other) = server.send(
        "admin",
        "POST",
        "/contacts",
        serde_json::json!({ "first_name": "Omar", "last_name": "Ruiz" }),
    );
    assert_eq!(status, 201, "{other}");
    let other = other["id"].as_i64().unwrap();
    let others_customer_at = || {
        server.one(
            "SELECT CAST(customer_at AS VARCHAR) FROM contacts WHERE id = ?",
            &[Param::Int(other)],
        )
    };
    let (status, repointed) = server.send(
        "admin",
        "PATCH",
        &format!("/deals/{deal}"),
        serde_json::json!({ "contact_id": other }),
    );
    assert_eq!(status, 200, "{repointed}");
    assert_eq!(customer_at(), Value::Null, "Nora has no revenue left");
    assert_eq!(others_customer_at(), closed);
    let (status, _) = server.send("admin", "DELETE", &format!("/deals/{deal}"), Value::Null);
    assert_eq!(status, 204);
    assert_eq!(others_customer_at(), Value::Null, "no revenue left");
}

/// A deal imported without a creation date keeps the date inferred at its import when it is
/// moved later through the API. Two rows of a Pipedrive deals export with no creation
/// date, contact or close: one gives its last change (which a move overwrites), the other
/// nothing, so its creation is the import's instant. The move's instant, later than both,
/// used to become the earliest date known of each.
#[test]
fn a_stage_move_through_the_api_never_becomes_an_undated_deals_creation() {
    let server = start();
    let open_stages = server
        .check
        .query_with(
            "SELECT p.name, s.name, s.id FROM stages s JOIN pipelines p ON p.id = s.pipeline_id
              WHERE p.id = 1 AND s.kind = 'open' ORDER BY s.position LIMIT 2",
            &[],
        )
        .unwrap()
        .rows;
    let [first, second] = [&open_stages[0], &open_stages[1]];
    let (pipeline, stage) = (first[0].as_str().unwrap(), first[1].as_str().unwrap());
    let csv = format!(
        "Deal - Title,Deal - Value,Deal - Pipeline,Deal - Stage,Deal - Update time\n\
         Undated with a change,1200,{pipeline},{stage},2024-03-05 10:15:00\n\
         Undated without,800,{pipeline},{stage},\n"
    );
    let (status, report) = upload(
        &server,
        "admin",
        "entity=deals&filename=deals.csv&preset=pipedrive",
        &csv,
    );
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["files"][0]["inserted"], 2, "{report}");
    let created = |name: &str| {
        let row = server
            .check
            .query_with(
                "SELECT id, CAST(created_at AS VARCHAR), created_at_inferred FROM deals WHERE name = ?",
                &[Param::Text(name.into())],
            )
            .unwrap()
            .rows;
        assert_eq!(row.len(), 1, "{name}");
        (
            row[0][0].as_i64().unwrap(),
            row[0][1].clone(),
            row[0][2].clone(),
        )
    };
    let (with_change, given, inferred) = created("Undated with a change");
    assert_eq!(given, "2024-03-05 10:15:00");
    assert_eq!(inferred, true);
    let (without, imported_at, _) = created("Undated without");
    assert!(imported_at.is_string());
    // The clock moves on: a move in the same microsecond as the import would prove nothing.
    std::thread::sleep(std::time::Duration::from_millis(5));
    for id in [with_change, without] {
        let (status, moved) = server.send(
            "admin",
            "PATCH",
            &format!("/deals/{id}"),
            serde_json::json!({ "stage_id": second[2] }),
        );
        assert_eq!(status, 200, "{moved}");
        assert_eq!(moved["stage_id"], second[2]);
    }
    assert_eq!(created("Undated with a change").1, "2024-03-05 10:15:00");
    assert_eq!(created("Undated without").1, imported_at);
}

#[test]
fn admins_manage_schedules_and_alerts_and_others_may_not() {
    let server = start();
    let (manager, _, _) = &server.people["manager"];
    let schedule = serde_json::json!({
        "name": "weekly-sales", "report": "sales_performance", "every": "week",
        "weekday": "mon", "at": "07:30", "to": [manager], "attach": "xlsx"
    });
    // Only admins.
    assert_eq!(
        server
            .send("manager", "POST", "/schedules", schedule.clone())
            .0,
        403
    );
    assert_eq!(server.get("viewer", "/alerts").0, 403);
    let (status, added) = server.send("admin", "POST", "/schedules", schedule.clone());
    assert_eq!(status, 201, "{added}");
    assert_eq!(added["cadence"]["every"], "week");
    // Checked as the command line checks: a stranger, a bad URL, a name taken.
    for (body, says) in [
        (
            serde_json::json!({ "name": "x", "report": "pipeline", "every": "week", "to": ["nobody@example.com"] }),
            "not an active user",
        ),
        (
            serde_json::json!({ "name": "x", "report": "pipeline", "every": "week", "webhook": "ftp://x" }),
            "http:// or https://",
        ),
        (schedule, "exists"),
        (
            serde_json::json!({ "name": "x", "report": "saved:nothing", "every": "week", "to": [manager] }),
            "no saved report 'nothing'",
        ),
        (
            serde_json::json!({ "name": "x", "report": "pipeline", "every": "hourly", "to": [manager] }),
            "day, week or month",
        ),
    ] {
        let (status, error) = server.send("admin", "POST", "/schedules", body);
        assert_eq!(status, 400, "{error}");
        assert!(
            error["error"]["message"].as_str().unwrap().contains(says),
            "{error}"
        );
    }
    let (_, listed) = server.get("admin", "/schedules");
    let names: Vec<&str> = listed["schedules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["weekly-sales"]);
    let stored = server.one(
        "SELECT count(*) FROM schedules WHERE name = 'weekly-sales'",
        &[],
    );
    assert_eq!(stored, 1);

    // An alert, judged on demand; a rule its recipient may not see is refused.
    let (admin, _, _) = &server.people["admin"];
    let rule = serde_json::json!({ "name": "few-wins", "when": "deals_won < 1", "every": "month", "to": [admin] });
    let (status, added) = server.send("admin", "POST", "/alerts", rule);
    assert_eq!(status, 201, "{added}");
    let (status, judged) = server.get("admin", "/alerts/few-wins/test");
    assert_eq!(status, 200, "{judged}");
    let won = server.one(
        "SELECT count(*) FROM deals WHERE status = 'won' AND deleted_at IS NULL AND merged_into_id IS NULL
            AND closed_at >= CAST(? AS DATE) AND closed_at < CAST(? AS DATE)",
        &[
            Param::Text(judged["period"]["from"].as_str().unwrap().into()),
            Param::Text(judged["period"]["to"].as_str().unwrap().into()),
        ],
    );
    assert_eq!(judged["value"].as_f64(), won.as_f64());
    assert_eq!(judged["holds"].as_bool(), Some(won == 0));
    let narrow = serde_json::json!({ "name": "mine", "when": "close_rate < 0.25", "every": "month", "to": [manager] });
    let (status, error) = server.send("admin", "POST", "/alerts", narrow);
    assert_eq!(status, 400);
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--filter team="),
        "{error}"
    );
    assert_eq!(server.get("admin", "/alerts/nothing/test").0, 404);

    assert_eq!(
        server
            .send("admin", "DELETE", "/schedules/weekly-sales", Value::Null)
            .0,
        204
    );
    assert_eq!(
        server
            .send("admin", "DELETE", "/schedules/weekly-sales", Value::Null)
            .0,
        404
    );
    assert_eq!(
        server
            .send("admin", "DELETE", "/alerts/few-wins", Value::Null)
            .0,
        204
    );
    assert_eq!(server.one("SELECT count(*) FROM schedules", &[]), 0);
}

#[test]
fn a_named_period_is_the_range_it_names() {
    use chrono::{Datelike, Months};
    let server = start();
    // The server's clock is the wall clock and its calendar UTC.
    let this_month = chrono::Utc::now().date_naive().with_day(1).unwrap();
    let last_month = this_month - Months::new(1);
    let (status, report) = server.get("admin", "/reports/sales_performance?period=last_month");
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["params"]["from"], last_month.to_string());
    assert_eq!(report["params"]["to"], this_month.to_string());
    let (_, named) = server.get(
        "admin",
        "/metrics/deals_won?period=last_12_months&grain=month",
    );
    let (_, dated) = server.get(
        "admin",
        &format!(
            "/metrics/deals_won?from={}&to={this_month}&grain=month",
            this_month - Months::new(12)
        ),
    );
    assert_eq!(named["rows"], dated["rows"]);
    assert_eq!(named["rows"].as_array().map(Vec::len), Some(12));
    let (status, refused) = server.get(
        "admin",
        "/metrics/deals_won?period=last_month&from=2026-01-01",
    );
    assert_eq!(status, 400, "{refused}");
    let (status, _) = server.get("admin", "/reports/pipeline?period=someday");
    assert_eq!(status, 400);
}

#[test]
fn dashboards_are_shared_arranged_and_computed_over_each_viewers_records() {
    let server = start();
    let (_, rep_name, rep_id) = &server.people["rep"];
    let won_by = |owner: Option<i64>| {
        server
            .one(
                "SELECT count(*) FROM deals WHERE status = 'won' AND deleted_at IS NULL
                    AND merged_into_id IS NULL AND closed_at >= DATE '2026-01-01'
                    AND closed_at < DATE '2026-07-01' AND (CAST(? AS BIGINT) IS NULL OR owner_id = ?)",
                &[
                    owner.map_or(Param::Null, Param::Int),
                    owner.map_or(Param::Null, Param::Int),
                ],
            )
            .as_f64()
            .unwrap()
    };
    // The manager's dashboard for the team: deals won by owner over the first half, and a
    // section of a report reps do not see.
    let body = serde_json::json!({ "name": "Team", "audience": "team", "tiles": [
        { "kind": "metrics", "metrics": ["deals_won"], "by": ["owner"], "from": "2026-01-01", "to": "2026-07-01" },
        { "kind": "section", "report": "campaigns", "section": "by_campaign", "width": "full" }
    ] });
    let (status, made) = server.send("manager", "POST", "/dashboards", body);
    assert_eq!(status, 201, "{made}");
    let id = made["id"].as_i64().unwrap();
    let path = format!("/dashboards/{id}");

    // A rep of the team sees it over their own deals; the section their role does not see
    // says so instead of failing the dashboard.
    let (status, seen) = server.get("rep", &path);
    assert_eq!(status, 200, "{seen}");
    let rows = &seen["tiles"][0]["shown"]["sections"][0]["rows"];
    assert_eq!(
        rows,
        &serde_json::json!([[rep_name, won_by(Some(*rep_id))]])
    );
    assert!(
        seen["tiles"][1]["refused"]
            .as_str()
            .unwrap()
            .contains("role")
    );
    // An admin sees the same tile over everyone's.
    let (_, all) = server.get("admin", &path);
    let summed: f64 = all["tiles"][0]["shown"]["sections"][0]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row[1].as_f64().unwrap_or(0.0))
        .sum();
    assert_eq!(summed, won_by(None));
    assert!(all["tiles"][1]["shown"]["sections"][0]["rows"].is_array());

    // Only its owner, an admin or the team's manager arranges it; outside the team it is
    // not there at all.
    let reversed = serde_json::json!({ "tiles": [made["tiles"][1], made["tiles"][0]] });
    assert_eq!(server.send("rep", "PATCH", &path, reversed.clone()).0, 403);
    assert_eq!(server.get("agent", &path).0, 404);
    let (_, listed) = server.get("agent", "/dashboards");
    assert_eq!(listed["dashboards"], serde_json::json!([]));
    let (status, arranged) = server.send("manager", "PATCH", &path, reversed);
    assert_eq!(status, 200, "{arranged}");
    assert_eq!(arranged["tiles"][0]["kind"], "section");
    let pinned = serde_json::json!({ "kind": "metrics", "metrics": ["revenue"], "period": "last_quarter", "width": "third" });
    let (status, pinned) = server.send("manager", "POST", &format!("{path}/tiles"), pinned);
    assert_eq!(status, 200, "{pinned}");
    assert_eq!(pinned["tiles"][2]["width"], "third");
    let stored = server.one(
        "SELECT json_array_length(tiles) FROM dashboards WHERE id = ?",
        &[Param::Int(id)],
    );
    assert_eq!(stored.as_i64(), Some(3));

    // The whole company: admins only; then a teamless agent sees it too.
    let company = serde_json::json!({ "audience": "company" });
    assert_eq!(
        server.send("manager", "PATCH", &path, company.clone()).0,
        403
    );
    assert_eq!(server.send("admin", "PATCH", &path, company).0, 200);
    assert_eq!(server.get("agent", &path).0, 200);

    // A tile that could never show anything is refused with its reason.
    let (status, error) = server.send(
        "manager",
        "POST",
        &format!("{path}/tiles"),
        serde_json::json!({ "kind": "metrics", "metrics": ["revenu"], "period": "last_month" }),
    );
    assert_eq!(status, 400);
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("revenu")
    );

    assert_eq!(server.send("rep", "DELETE", &path, Value::Null).0, 403);
    assert_eq!(server.send("manager", "DELETE", &path, Value::Null).0, 204);
    assert_eq!(server.get("manager", &path).0, 404);
}

#[test]
fn a_report_compared_with_the_previous_year_carries_each_rows_earlier_figures() {
    let server = start();
    let (status, report) = server.get(
        "admin",
        "/reports/sales_performance?from=2026-04-01&to=2026-07-01&compare=previous_year",
    );
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["params"]["compare"], "previous_year");
    assert_eq!(report["params"]["compare_from"], "2025-04-01");
    let section = &report["sections"][0];
    assert_eq!(section["name"], "by_owner");
    let keys: Vec<&str> = section["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    let (period, owner, won) = (
        keys.iter().position(|k| *k == "period").unwrap(),
        keys.iter().position(|k| *k == "owner").unwrap(),
        keys.iter().position(|k| *k == "deals_won").unwrap(),
    );
    // Each owner's month beside the same owner's month a year before, by plain SQL.
    let previous = section["previous_rows"].as_array().unwrap();
    let mut checked = 0;
    for (row, earlier) in section["rows"].as_array().unwrap().iter().zip(previous) {
        let Some(name) = row[owner].as_str().filter(|n| !n.is_empty()) else {
            continue;
        };
        let month = chrono::NaiveDate::parse_from_str(row[period].as_str().unwrap(), "%Y-%m-%d")
            .unwrap()
            - chrono::Months::new(12);
        let expected = server.one(
            "SELECT count(*) FROM deals d JOIN users u ON u.id = d.owner_id
              WHERE u.name = ? AND d.status = 'won' AND d.deleted_at IS NULL AND d.merged_into_id IS NULL
                AND d.closed_at >= CAST(? AS DATE) AND d.closed_at < CAST(? AS DATE) + INTERVAL '1 month'",
            &[
                Param::Text(name.into()),
                Param::Text(month.to_string()),
                Param::Text(month.to_string()),
            ],
        );
        if earlier.is_null() {
            assert_eq!(expected.as_i64(), Some(0), "{name} {month}: no earlier row");
        } else {
            assert_eq!(earlier[won].as_f64(), expected.as_f64(), "{name} {month}");
            checked += 1;
        }
    }
    assert!(checked > 10, "only {checked} rows compared");
    // A table per section: the earlier values are a column of their own.
    let csv = server
        .fetch(
            "admin",
            "/reports/sales_performance?from=2026-04-01&to=2026-07-01&compare=previous_year&format=csv",
        )
        .body_mut()
        .read_to_string()
        .unwrap();
    assert!(
        csv.contains("deals_won,deals_won_previous_year"),
        "{}",
        &csv[..300]
    );
    // Nothing else is a comparison.
    let (status, error) = server.get("admin", "/reports/pipeline?compare=last_week");
    assert_eq!(status, 400);
    assert_eq!(error["error"]["field"], "compare");
}
