//! The API described in OpenAPI 3.1, built from the table of operations below. It is served
//! at `/api/v1/openapi.json` and committed as `docs/openapi.json`; a test fails when the
//! committed file is stale, and another that every operation here is routed.

use embudo_access::Entity;
use serde_json::{Map, Value, json};

/// One operation: method, path (under `/api/v1`), summary, tag, query parameters
/// (name, description), whether it takes a JSON body, the success status.
struct Operation {
    method: &'static str,
    path: String,
    summary: String,
    tag: &'static str,
    query: Vec<(&'static str, &'static str)>,
    body: bool,
    success: &'static str,
    /// The media types of a successful answer.
    produces: &'static [&'static str],
}

const JSON: &[&str] = &["application/json"];
const REPORT_TYPES: &[&str] = &[
    "application/json",
    "text/csv",
    "text/html",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
];

fn op(
    method: &'static str,
    path: impl Into<String>,
    tag: &'static str,
    summary: impl Into<String>,
) -> Operation {
    Operation {
        method,
        path: path.into(),
        summary: summary.into(),
        tag,
        query: Vec::new(),
        body: false,
        success: "200",
        produces: JSON,
    }
}

impl Operation {
    fn query(mut self, params: &[(&'static str, &'static str)]) -> Operation {
        self.query.extend_from_slice(params);
        self
    }

    fn body(mut self, success: &'static str) -> Operation {
        self.body = true;
        self.success = success;
        self
    }

    fn success(mut self, status: &'static str) -> Operation {
        self.success = status;
        self
    }

    fn produces(mut self, types: &'static [&'static str]) -> Operation {
        self.produces = types;
        self
    }
}

/// What the server accepts for a parameter, as a JSON Schema: the constraints it enforces.
fn schema(name: &str) -> Value {
    match name {
        "id" => json!({ "type": "integer", "format": "int64" }),
        "limit" => {
            json!({ "type": "integer", "minimum": 1, "maximum": crate::records::MAX_PAGE })
        }
        "cursor" => {
            json!({ "type": "integer", "minimum": 0, "maximum": crate::records::MAX_CURSOR })
        }
        "from" | "to" | "at" => json!({
            "type": "string",
            "description": "YYYY-MM-DD or an RFC 3339 instant, in the years 1900 to 2199; a range may cover at most 36,525 days (3,660 for measures of each day) and 3,660 periods",
            "pattern": "^(19|2[01])[0-9]{2}-[0-9]{2}-[0-9]{2}"
        }),
        "months" => json!({ "type": "integer", "minimum": 1, "maximum": 24 }),
        "period" => json!({
            "type": "string",
            "enum": embudo_metrics::Preset::ALL.iter().map(|p| p.name()).collect::<Vec<_>>()
        }),
        "threshold" => json!({ "type": "number", "minimum": 0, "maximum": 1 }),
        "lang" => json!({ "type": "string", "enum": ["en", "es"] }),
        "grain" => json!({ "type": "string", "enum": ["day", "week", "month", "quarter", "year"] }),
        "compare" => json!({ "type": "string", "enum": ["previous_period", "previous_year"] }),
        "dry_run" | "apply" => json!({ "type": "boolean" }),
        _ => json!({ "type": "string" }),
    }
}

const REPORT_PARAMS: [(&str, &str); 14] = [
    ("from", "Start of the range (YYYY-MM-DD)"),
    ("to", "End of the range, exclusive"),
    (
        "period",
        "A named period instead of from and to (quarters and years fiscal)",
    ),
    ("at", "The instant of point-in-time reports"),
    ("pipeline", "Only this pipeline"),
    (
        "owner",
        "Only this owner (a rep may give only their own name)",
    ),
    ("team", "Only this team"),
    ("source", "Only this lead source"),
    ("by", "Split by this dimension where the report allows it"),
    ("grain", "Time grain where the report has periods"),
    ("months", "Months ahead in the forecast"),
    (
        "compare",
        "previous_period or previous_year: each figure beside its earlier value (previous_rows)",
    ),
    ("lang", "en or es"),
    ("format", "json (default), csv, html or xlsx"),
];

fn operations() -> Vec<Operation> {
    let mut all = vec![
        op(
            "get",
            "/health",
            "system",
            "Readiness: 200 when the server and its database answer, 503 when the database does not",
        ),
        op("get", "/openapi.json", "system", "This document"),
        op(
            "post",
            "/login",
            "auth",
            "Log in with e-mail and password: a session cookie and a CSRF token",
        )
        .body("200"),
        op(
            "post",
            "/logout",
            "auth",
            "End the session (a cookie write: send X-CSRF-Token)",
        ),
        op("get", "/me", "auth", "Who is calling"),
        op(
            "get",
            "/reports",
            "reports",
            "The reports the caller may open",
        )
        .query(&[("lang", "en or es")]),
        op(
            "get",
            "/reports/{name}",
            "reports",
            "One canned report over the caller's records",
        )
        .query(&REPORT_PARAMS)
        .produces(REPORT_TYPES),
        op(
            "get",
            "/forecast",
            "forecast",
            "The forecast report over the caller's records",
        )
        .query(&REPORT_PARAMS)
        .produces(REPORT_TYPES),
        op(
            "post",
            "/query",
            "metrics",
            "A custom report: metrics (at most 25), from, to, grain, by, filters, compare; save (the caller's own) and share (admins). Answers columns, rows and notes (what the figures cannot say: a period the range cuts short, a range beyond the records)",
        )
        .body("200"),
        op(
            "get",
            "/saved-reports",
            "metrics",
            "The saved reports the caller may open: their own and the shared ones",
        ),
        op(
            "get",
            "/saved-reports/{name}",
            "metrics",
            "Run a saved report over the caller's records: columns, rows and notes",
        )
        .query(&[("lang", "en or es")]),
        op(
            "get",
            "/dashboards",
            "dashboards",
            "The dashboards the caller sees (their own, their team's, the company's), tiles as stored",
        ),
        op(
            "post",
            "/dashboards",
            "dashboards",
            "A new dashboard: name, audience (owner, team, company), team, tiles",
        )
        .body("201"),
        op(
            "get",
            "/dashboards/{id}",
            "dashboards",
            "A dashboard, each tile computed over the caller's records (`shown`) or why not (`refused`)",
        )
        .query(&[("lang", "en or es")]),
        op(
            "patch",
            "/dashboards/{id}",
            "dashboards",
            "Rename, share (audience, team) or arrange (every tile, in order, with its width); owner, admins, the team's manager",
        )
        .body("200"),
        op("delete", "/dashboards/{id}", "dashboards", "Delete a dashboard")
            .success("204")
            .produces(&[]),
        op(
            "post",
            "/dashboards/{id}/tiles",
            "dashboards",
            "Pin a tile at the end: a report section (report, section, query), metrics (metrics, by, grain, filters, compare, period or from and to) or a saved report (name); width, title",
        )
        .body("200"),
        op(
            "get",
            "/deals/{id}/explain",
            "forecast",
            "A deal's win probability, its factors and what would raise it",
        ),
        op(
            "get",
            "/metrics",
            "metrics",
            "The metrics the caller may query",
        ),
        op(
            "get",
            "/metrics/{name}",
            "metrics",
            "One metric over a range, by period and dimension",
        )
        .query(&[
            ("from", "Start of the range (required unless period)"),
            ("to", "End of the range, exclusive (required unless period)"),
            (
                "period",
                "A named period instead of from and to (quarters and years fiscal)",
            ),
            ("grain", "day, week, month, quarter or year"),
            ("by", "Dimensions, comma-separated or repeated"),
            ("filter", "dimension:value, repeatable"),
            ("compare", "previous_period or previous_year"),
            ("lang", "en or es"),
        ]),
        op(
            "get",
            "/export/{table}",
            "records",
            "Every row of a table the caller may see, as CSV or JSON",
        )
        .query(&[("format", "csv (default) or json")])
        .produces(&["text/csv", "application/json"]),
        op(
            "get",
            "/audit",
            "audit",
            "Every data-quality check and the scores (admin)",
        )
        .query(&[
            ("entity", "Only this entity's checks"),
            ("check", "Only this check"),
        ]),
        op(
            "get",
            "/audit/duplicates",
            "audit",
            "Likely duplicates with their field evidence (admin)",
        )
        .query(&[
            ("entity", "contacts, companies or deals"),
            ("threshold", "Match probability, 0 to 1"),
        ]),
        op(
            "post",
            "/audit/fix",
            "audit",
            "A check's suggested values, applied when apply is true (admin)",
        )
        .body("200"),
        op(
            "post",
            "/merge",
            "audit",
            "Merge records into one survivor, journaled (admin)",
        )
        .body("200"),
        op("post", "/unmerge", "audit", "Undo a merge exactly (admin)").body("200"),
        op("get", "/schedules", "monitoring", "Every scheduled report (admin)"),
        op(
            "post",
            "/schedules",
            "monitoring",
            "Add a scheduled report: name, report (a canned report, all for the pack, or saved:NAME for a saved custom report), filters, every (day|week|month), at, weekday, to (e-mails of users), webhook, attach (html|xlsx|csv) (admin)",
        )
        .body("201"),
        op("delete", "/schedules/{name}", "monitoring", "Remove a scheduled report (admin)")
            .success("204")
            .produces(&[]),
        op("get", "/alerts", "monitoring", "Every alert rule and whether it is firing (admin)"),
        op(
            "post",
            "/alerts",
            "monitoring",
            "Add an alert rule: name, when (\"close_rate < 0.25\", \"revenue change_pct < -0.2\", \"stale_deals(30) > 0\", \"probability_drops(20) > 0\", \"sla_breaches > 0\", \"goals_at_risk > 0\", \"quality_drop >= 5\", \"forecast_band > 0\"), filters, by (a dimension: judge the metric for each of its values), every, at, weekday, to, webhook, cooldown (admin)",
        )
        .body("201"),
        op("delete", "/alerts/{name}", "monitoring", "Remove an alert rule (admin)")
            .success("204")
            .produces(&[]),
        op(
            "get",
            "/alerts/{name}/test",
            "monitoring",
            "Judge a rule over its latest complete period; nothing is sent (admin)",
        ),
        op(
            "post",
            "/import",
            "records",
            "Import the file sent as the body (at most 64 MiB by default), as `embudo import` does (admin); \
             given no preset, a file that looks like a vendor's export gets a `hint` naming the preset",
        )
        .query(&[
            ("entity", "The table the rows go to (required)"),
            (
                "filename",
                "The file's name (required): its extension (csv, tsv, txt, xlsx, xlsm, xls, xlsb, ods, jsonl, ndjson, json) says how to read it",
            ),
            ("preset", "hubspot, pipedrive, salesforce or activecampaign"),
            ("columns", "A JSON object of canonical column: file header"),
            ("sheet", "The workbook's sheet"),
            ("date_format", "How the file writes dates (strftime)"),
            ("source_system", "Where the rows come from"),
            ("currency", "The currency of amounts that name none"),
            ("dry_run", "Do everything, keep nothing"),
        ]),
    ];
    for entity in Entity::ALL {
        let table = entity.table();
        let delete = if entity == Entity::Goals {
            "Delete a goal (admins)".to_owned()
        } else {
            format!("Delete one of {table} softly (deleted_at; 405 where the table has none)")
        };
        all.push(
            op(
                "get",
                format!("/{table}"),
                "records",
                format!("A page of {table} the caller may see"),
            )
            .query(&[
                ("limit", "Rows per page, 1 to 500 (default 50)"),
                ("cursor", "next_cursor of the previous page"),
                ("sort", "A column; -column for descending"),
                ("{column}", "Any column = value filters the rows"),
            ]),
        );
        all.push(
            op(
                "post",
                format!("/{table}"),
                "records",
                format!("Create one of {table}"),
            )
            .body("201"),
        );
        all.push(op(
            "get",
            format!("/{table}/{{id}}"),
            "records",
            format!("One of {table}, if the caller may see it"),
        ));
        all.push(
            op(
                "patch",
                format!("/{table}/{{id}}"),
                "records",
                format!("Change some columns of one of {table}"),
            )
            .body("200"),
        );
        all.push(
            op("delete", format!("/{table}/{{id}}"), "records", delete)
                .success("204")
                .produces(&[]),
        );
    }
    all
}

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for operation in operations() {
        let path = paths
            .entry(operation.path.clone())
            .or_insert_with(|| json!({}));
        path[operation.method] = describe(&operation);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Embudo API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "CRM reporting: records, reports, metrics, the data audit and the forecast, each caller seeing what their role allows. Authenticate with `Authorization: Bearer <token>` (embudo token create) or the session cookie from POST /login; a write with the cookie needs the X-CSRF-Token header given at login. Errors are {\"error\":{\"code\",\"message\",\"field\"}}."
        },
        "servers": [{ "url": "/api/v1" }],
        "security": [{ "bearer": [] }, { "session": [] }],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer" },
                "session": { "type": "apiKey", "in": "cookie", "name": "embudo_session" }
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {
                                "code": { "type": "string" },
                                "message": { "type": "string" },
                                "field": { "type": "string" }
                            }
                        }
                    }
                }
            },
            "responses": {
                "Error": {
                    "description": "The request was refused or failed",
                    "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
                }
            }
        }
    })
}

fn describe(operation: &Operation) -> Value {
    let mut parameters: Vec<Value> = path_params(&operation.path)
        .into_iter()
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": schema(name) }))
        .collect();
    parameters.extend(operation.query.iter().map(|(name, description)| {
        json!({ "name": name, "in": "query", "required": false, "description": description, "schema": schema(name) })
    }));
    let content: Map<String, Value> = operation
        .produces
        .iter()
        .map(|media| {
            let schema = if *media == "application/json" {
                json!({ "type": "object" })
            } else {
                json!({ "type": "string" })
            };
            ((*media).to_owned(), json!({ "schema": schema }))
        })
        .collect();
    let mut done = json!({ "description": "Done" });
    if !content.is_empty() {
        done["content"] = Value::Object(content);
    }
    let mut described = json!({
        "summary": operation.summary,
        "tags": [operation.tag],
        "parameters": parameters,
        "responses": {
            operation.success: done,
            "4XX": { "$ref": "#/components/responses/Error" }
        }
    });
    if operation.body {
        described["requestBody"] = json!({
            "required": true,
            "content": { "application/json": { "schema": { "type": "object" } } }
        });
    }
    described
}

fn path_params(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|part| part.strip_prefix('{')?.strip_suffix('}'))
        .collect()
}

/// Every (method, path) described, for the test that they are all routed.
pub fn described() -> Vec<(&'static str, String)> {
    operations()
        .into_iter()
        .map(|o| (o.method, o.path))
        .collect()
}
