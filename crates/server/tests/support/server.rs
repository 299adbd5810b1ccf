//! A server for the API's tests: a generated small business, a user of each role with a
//! password and a bearer token, the server on a free port, and a second connection to the
//! store for expected figures from plain SQL.

use super::Running;
use embudo_access::users;
use embudo_store::{Param, Store};
use serde_json::Value;
use std::collections::BTreeSet;
use ureq::Agent;

pub const PASSWORD: &str = "a long test password";

pub struct Server {
    pub base: String,
    pub agent: Agent,

    /// Bearer tokens by role.
    pub tokens: std::collections::HashMap<&'static str, String>,
    /// E-mails, names and ids by role.
    pub people: std::collections::HashMap<&'static str, (String, String, i64)>,
    /// A second connection to the served store, for the expected figures.
    pub check: Store,
    _running: Running,
    place: super::Place,
}

/// The first active user of each role (a rep and a manager of the same team, the first
/// sales team).
const PEOPLE: &str = "
SELECT role, email, name, id FROM (
  SELECT *, row_number() OVER (PARTITION BY role ORDER BY id) AS n FROM users
   WHERE active AND role IN ('admin', 'agent', 'viewer')
      OR active AND (role IN ('manager', 'rep') AND team_id = (SELECT min(team_id) FROM users WHERE role = 'rep')))
 ranked WHERE n = 1";

pub fn start() -> Server {
    start_with(embudo_server::ServerLimits::default())
}

/// [`start`] within `limits`.
pub fn start_with(limits: embudo_server::ServerLimits) -> Server {
    let (place, store) = super::business(5, 0.0);
    serve(place, store, limits)
}

/// Serve `store` (in `dir`), whose users may already have passwords and tokens.
fn serve(place: super::Place, store: Store, limits: embudo_server::ServerLimits) -> Server {
    let now = chrono::Utc::now().naive_utc();
    let mut tokens = std::collections::HashMap::new();
    let mut people = std::collections::HashMap::new();
    for row in store.query_with(PEOPLE, &[]).unwrap().rows {
        let role: &'static str = match row[0].as_str().unwrap() {
            "admin" => "admin",
            "manager" => "manager",
            "rep" => "rep",
            "agent" => "agent",
            _ => "viewer",
        };
        let email = row[1].as_str().unwrap().to_owned();
        users::set_password(&store, &email, PASSWORD, now).unwrap();
        tokens.insert(
            role,
            users::create_token(&store, &email, "test", now).unwrap(),
        );
        people.insert(
            role,
            (
                email,
                row[2].as_str().unwrap().to_owned(),
                row[3].as_i64().unwrap(),
            ),
        );
    }
    assert_eq!(tokens.len(), 5, "a user of every role");
    let check = store.try_clone().unwrap();
    let running = Running::start_with(store, limits);
    Server {
        base: running.base.clone(),
        agent: super::agent(),
        tokens,
        people,
        check,
        _running: running,
        place,
    }
}

impl Server {
    /// Stop the server and start it again on the same store file, as after a restart.
    pub fn restart(self) -> Server {
        let Server { place, .. } = self;
        let store = place.open("served");
        serve(place, store, embudo_server::ServerLimits::default())
    }

    /// GET `path` as `role` (a bearer token): status and body as JSON (null if not JSON).
    pub fn get(&self, role: &str, path: &str) -> (u16, Value) {
        self.client().get(role, path)
    }

    /// GET `path` as `role`: the answer itself, for its headers or a body that is not JSON.
    pub fn fetch(&self, role: &str, path: &str) -> ureq::http::Response<ureq::Body> {
        self.agent
            .get(&format!("{}{path}", self.base))
            .header("Authorization", &format!("Bearer {}", self.tokens[role]))
            .call()
            .unwrap()
    }

    /// The server's `host:port`, for requests written by hand on a socket.
    pub fn address(&self) -> &str {
        let rest = self.base.trim_start_matches("http://");
        rest.split('/').next().unwrap_or(rest)
    }

    /// What another thread needs to call the server (the store connection stays here).
    pub fn client(&self) -> Client {
        Client {
            base: self.base.clone(),
            agent: self.agent.clone(),
            tokens: self.tokens.clone(),
        }
    }

    /// Every page of a list, as `role`.
    pub fn all(&self, role: &str, path: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let separator = if path.contains('?') { '&' } else { '?' };
            let page = match &cursor {
                Some(c) => format!("{path}{separator}limit=500&cursor={c}"),
                None => format!("{path}{separator}limit=500"),
            };
            let (status, body) = self.get(role, &page);
            assert_eq!(status, 200, "{page}: {body}");
            items.extend(body["items"].as_array().unwrap().iter().cloned());
            match body["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return items,
            }
        }
    }

    /// Ids from plain SQL on the served store.
    pub fn ids(&self, sql: &str, params: &[Param]) -> BTreeSet<i64> {
        self.check
            .query_with(sql, params)
            .unwrap()
            .rows
            .iter()
            .map(|r| r[0].as_i64().unwrap())
            .collect()
    }

    pub fn login(&self, email: &str, password: &str) -> (u16, Value, Option<String>) {
        self.client().login(email, password)
    }
}

/// Calls to the server from any thread.
#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub agent: Agent,
    pub tokens: std::collections::HashMap<&'static str, String>,
}

impl Client {
    /// GET `path` as `role` (a bearer token): status and body as JSON (null if not JSON).
    pub fn get(&self, role: &str, path: &str) -> (u16, Value) {
        let response = self
            .agent
            .get(&format!("{}{path}", self.base))
            .header("Authorization", &format!("Bearer {}", self.tokens[role]))
            .call()
            .unwrap();
        read(response)
    }

    /// POST /login: status, body and the `Set-Cookie` value.
    pub fn login(&self, email: &str, password: &str) -> (u16, Value, Option<String>) {
        let response = self
            .agent
            .post(&format!("{}/login", self.base))
            .header("content-type", "application/json")
            .send(serde_json::json!({ "email": email, "password": password }).to_string())
            .unwrap();
        let cookie = response
            .headers()
            .get("set-cookie")
            .map(|v| v.to_str().unwrap().to_owned());
        let (status, body) = read(response);
        (status, body, cookie)
    }
}

pub fn read(mut response: ureq::http::Response<ureq::Body>) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

impl Server {
    /// `method` `path` as `role` with a JSON body: status and body.
    pub fn send(&self, role: &str, method: &str, path: &str, body: Value) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let auth = format!("Bearer {}", self.tokens[role]);
        let response = match method {
            "POST" => self
                .agent
                .post(&url)
                .header("Authorization", &auth)
                .send_json(body),
            "PATCH" => self
                .agent
                .patch(&url)
                .header("Authorization", &auth)
                .send_json(body),
            _ => self
                .agent
                .delete(&url)
                .header("Authorization", &auth)
                .call(),
        };
        read(response.unwrap())
    }

    pub fn one(&self, sql: &str, params: &[Param]) -> Value {
        self.check
            .query_with(sql, params)
            .unwrap()
            .rows
            .remove(0)
            .remove(0)
    }
}
