//! Imports against real stores (DuckDB files; PostgreSQL databases when the run is for it,
//! `EMBUDO_TEST_ENGINE=postgres`): presets, formats, encodings, workbooks, quarantine,
//! idempotency, atomicity and the export/import round trip. Expected values are read off
//! the fixtures by hand and checked with plain SQL.

use chrono::NaiveDate;
use embudo_ingest::IngestError;
use embudo_ingest::export;
use embudo_ingest::load::{self, Options, Report};
use embudo_ingest::mapping::{self, FileMap, Mapping, Preset};
use embudo_ingest::read;
use embudo_ingest::target::Target;
use embudo_store::{CANONICAL_TABLES, Store};
use embudo_testkit::Place;
use std::path::{Path, PathBuf};

fn options() -> Options {
    Options {
        source_system: "test".into(),
        now: NaiveDate::from_ymd_opt(2026, 7, 1)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap(),
        dry_run: false,
        currency: "USD".into(),
        create_missing: vec![],
    }
}

/// A store (a DuckDB file, or a database on PostgreSQL when the run is for it) and a
/// folder for the files imported into it.
struct Fixture {
    place: Place,
    store: Store,
}

impl Fixture {
    fn new() -> Fixture {
        let place = Place::new();
        let store = place.store("store");
        Fixture { place, store }
    }

    fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.place.dir().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// Import one file with its columns guessed, as `embudo import ENTITY FILE` does.
    fn import(
        &self,
        entity: &str,
        path: &Path,
        preset: Option<Preset>,
    ) -> Result<Report, IngestError> {
        self.import_with(entity, path, preset, &options())
    }

    fn import_with(
        &self,
        entity: &str,
        path: &Path,
        preset: Option<Preset>,
        options: &Options,
    ) -> Result<Report, IngestError> {
        let sheet = read::read(path, None)?;
        let target = Target::read(&self.store, entity)?;
        let mapping = Mapping::single(FileMap::guessed(path, &target, &sheet.headers, preset));
        load::import(&self.store, &mapping, options, &mut |_| Ok(()))
    }

    fn rows(&self, sql: &str) -> Vec<Vec<serde_json::Value>> {
        self.store.query_with(sql, &[]).unwrap().rows
    }

    fn one(&self, sql: &str) -> serde_json::Value {
        self.rows(sql).remove(0).remove(0)
    }
}

/// Every canonical table's content, for before/after comparisons.
fn fingerprint(store: &Store) -> Vec<String> {
    CANONICAL_TABLES
        .iter()
        .map(|table| {
            let sql = format!(
                "SELECT count(*) || ':' || coalesce(md5(string_agg(CAST(t AS VARCHAR), '|' ORDER BY id)), '') FROM {table} AS t"
            );
            store.query_with(&sql, &[]).unwrap().rows[0][0]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[test]
fn hubspot_exports_land_in_their_columns_and_references_resolve() {
    let f = Fixture::new();
    let companies = f.write(
        "companies.csv",
        "Record ID,Company name,Company Domain Name,Industry,Number of Employees,Country/Region,Create Date\n\
         501,Acme,acme.com,technology,120,ES,2024-03-01 10:00\n\
         502,Beta,beta.io,retail,\"1,200\",US,2024-04-01 11:30\n",
    );
    let contacts = f.write(
        "contacts.csv",
        "Record ID,First Name,Last Name,Email,Phone Number,Company Name,Original Source,Create Date,Last Modified Date\n\
         9001,Ana,Pérez,ana@acme.com,+34 600 000 001,Acme,referral,2024-05-01 09:00,2024-06-01 09:00\n\
         9002,Bob,Stone,bob@beta.io,,beta,paid_ads,2024-05-02 09:00,2024-06-02 09:00\n\
         9003,Cy,Nobody,cy@x.com,,Gamma Ltd,organic,2024-05-03 09:00,2024-06-03 09:00\n",
    );
    let deals = f.write(
        "deals.csv",
        "Record ID,Deal Name,Pipeline,Deal Stage,Amount,Close Date,Create Date,Associated Contact,Associated Company,Deal Type\n\
         7001,Acme rollout,Sales Pipeline,Proposal,\"$12,500.00\",2024-08-01,2024-06-01 10:00,ana@acme.com,Acme,new_business\n\
         7002,Beta pilot,Sales Pipeline,Closed Won,3000,2024-07-01,2024-06-02 10:00, bob STONE ,BETA,new_business\n\
         7003,Gamma trial,Sales Pipeline,Closed Lost,500,2024-07-15,2024-06-03 10:00,Cy Nobody,Gamma Ltd,new_business\n",
    );
    for (entity, path) in [
        ("companies", &companies),
        ("contacts", &contacts),
        ("deals", &deals),
    ] {
        let report = f.import(entity, path, Some(Preset::Hubspot)).unwrap();
        assert_eq!(report.rejected(), 0, "{entity}");
    }
    assert_eq!(
        f.one("SELECT string_agg(concat_ws('|', name, domain, employees, country, source_system, external_id), ',' ORDER BY id) FROM companies"),
        "Acme|acme.com|120|ES|test|501,Beta|beta.io|1200|US|test|502"
    );
    // The contacts' companies resolve by name, whatever its case (`beta`); Gamma Ltd is kept
    // as text.
    assert_eq!(
        f.one("SELECT string_agg(coalesce(CAST(company_id AS VARCHAR), 'none'), ',' ORDER BY external_id) FROM contacts"),
        "1,2,none"
    );
    assert_eq!(
        f.one(&format!(
            "SELECT {} FROM contacts WHERE external_id = '9003'",
            f.store
                .dialect()
                .json_text("custom", &["unresolved", "company"])
        )),
        "Gamma Ltd"
    );
    // HubSpot's default pipeline, new, got its default stages in their order, with their
    // probabilities, and the file's own "Proposal" after the open ones (alone of its kind,
    // halfway); won and lost last.
    assert_eq!(
        f.one("SELECT string_agg(name || ':' || kind || ':' || position || ':' || CAST(round(probability * 100) AS INTEGER), ',' ORDER BY position) FROM stages"),
        "Appointment Scheduled:open:1:20,Qualified To Buy:open:2:40,Presentation Scheduled:open:3:60,\
         Decision Maker Bought-In:open:4:80,Contract Sent:open:5:90,Proposal:open:6:50,\
         Closed Won:won:7:100,Closed Lost:lost:8:0"
    );
    // Deals: amount parsed, contact found by e-mail and by name, status from the stage;
    // Close Date is the closed deals' close and every deal's expected close.
    assert_eq!(
        f.one("SELECT string_agg(concat_ws(':', name, amount, status, contact_id, coalesce(CAST(company_id AS VARCHAR), '-')), ',' ORDER BY id) FROM deals"),
        "Acme rollout:12500.00:open:1:1,Beta pilot:3000.00:won:2:2,Gamma trial:500.00:lost:3:-"
    );
    assert_eq!(
        f.one("SELECT string_agg(concat_ws('|', coalesce(CAST(closed_at AS VARCHAR), '-'), expected_close_date), ',' ORDER BY id) FROM deals"),
        "-|2024-08-01,2024-07-01 00:00:00|2024-07-01,2024-07-15 00:00:00|2024-07-15"
    );
    // Synthesised history: the open deal has one visit, each closed deal two, from the
    // pipeline's first stage.
    assert_eq!(
        f.one("SELECT string_agg(deal_id || '>' || stage_id, ',' ORDER BY deal_id, entered_at, id) FROM deal_stage_history WHERE synthesised"),
        "1>6,2>1,2>7,3>1,3>8"
    );
    // The contacts who won a deal are customers since its close.
    assert_eq!(
        f.one("SELECT string_agg(external_id || '@' || coalesce(CAST(customer_at AS VARCHAR), '-'), ',' ORDER BY external_id) FROM contacts"),
        "9001@-,9002@2024-07-01 00:00:00,9003@-"
    );
}

/// Each vendor closes deals its own way: Pipedrive and ActiveCampaign by a status (a won
/// deal stays in the stage it was won from), with won and lost times in two columns or one
/// close date; Salesforce by its stage, with one Close Date. The figures are read off the
/// fixtures by hand.
#[test]
fn each_vendor_closes_deals_its_own_way() {
    let pipedrive = Fixture::new();
    let deals = pipedrive.write(
        "deals.csv",
        "Deal - ID,Deal - Title,Deal - Value,Deal - Currency,Deal - Pipeline,Deal - Stage,Deal - Status,Deal - Owner,Deal - Deal created,Deal - Expected close date,Deal - Won time,Deal - Lost time,Deal - Lost reason\n\
         11,Alpha,1000,EUR,Pipeline,Proposal Made,Won,Ana Ruiz,2024-01-10 09:00:00,2024-02-01,2024-02-03 10:00:00,,\n\
         12,Beta,500,EUR,Pipeline,Qualified,lost,ana ruiz,2024-01-12 09:00:00,2024-02-15,,2024-02-20 11:00:00,Price\n\
         13,Gamma,700,EUR,Pipeline,Demo Scheduled,Open, ANA RUIZ ,2024-01-15 09:00:00,2024-03-01,,,\n",
    );
    let with_users = Options {
        create_missing: vec!["users".into()],
        ..options()
    };
    let report = pipedrive
        .import_with("deals", &deals, Some(Preset::Pipedrive), &with_users)
        .unwrap();
    assert!(
        report.files[0].unresolved.is_empty(),
        "{:?}",
        report.files[0].unresolved
    );
    assert_eq!(
        pipedrive.one("SELECT string_agg(concat_ws(':', name, role, CASE WHEN active THEN 'true' ELSE 'false' END), ',') FROM users"),
        "Ana Ruiz:rep:false",
        "one inactive user, however her name was typed"
    );
    assert_eq!(
        pipedrive.one("SELECT string_agg(name || ':' || kind || ':' || position, ',' ORDER BY position) FROM stages"),
        "Qualified:open:1,Contact Made:open:2,Demo Scheduled:open:3,Proposal Made:open:4,Negotiations Started:open:5,Won:won:6,Lost:lost:7"
    );
    assert_eq!(
        pipedrive.one(
            "SELECT string_agg(concat_ws('|', d.name, st.name, d.status, coalesce(CAST(d.closed_at AS VARCHAR), '-'), d.owner_id), ',' ORDER BY d.id)
               FROM deals d JOIN stages st ON st.id = d.stage_id"
        ),
        "Alpha|Won|won|2024-02-03 10:00:00|1,Beta|Lost|lost|2024-02-20 11:00:00|1,Gamma|Demo Scheduled|open|-|1"
    );

    let activecampaign = Fixture::new();
    let deals = activecampaign.write(
        "deals.csv",
        "Deal ID,Title,Value,Currency,Pipeline,Stage,Status,Created Date,Forecasted Close Date,Close Date\n\
         1,One,100,USD,Sales Pipeline,In Contact,1,2024-03-01,2024-03-20,2024-03-18\n\
         2,Two,200,USD,Sales Pipeline,To Contact,2,2024-03-02,2024-03-25,2024-03-22\n\
         3,Three,300,USD,Sales Pipeline,Follow Up,0,2024-03-03,2024-04-30,\n",
    );
    activecampaign
        .import("deals", &deals, Some(Preset::Activecampaign))
        .unwrap();
    assert_eq!(
        activecampaign.one(
            "SELECT string_agg(concat_ws('|', d.name, st.name, d.status, coalesce(CAST(d.closed_at AS VARCHAR), '-')), ',' ORDER BY d.id)
               FROM deals d JOIN stages st ON st.id = d.stage_id"
        ),
        "One|Won|won|2024-03-18 00:00:00,Two|Lost|lost|2024-03-22 00:00:00,Three|Follow Up|open|-"
    );

    let salesforce = Fixture::new();
    let deals = salesforce.write(
        "opportunities.csv",
        "Opportunity ID,Opportunity Name,Amount,Close Date,Stage,Type,Lead Source,Created Date\n\
         006A,Big,\"1,000.00\",3/15/2024,Closed Won,New Customer,Web,1/10/2024\n\
         006B,Small,250.00,4/20/2024,Negotiation/Review,Existing Customer - Upgrade,Trade Show,2/01/2024\n\
         006C,Lost one,90.00,2/28/2024,Closed Lost,New Customer,Partner Referral,1/15/2024\n",
    );
    salesforce
        .import("deals", &deals, Some(Preset::Salesforce))
        .unwrap();
    assert_eq!(
        salesforce.one(
            "SELECT string_agg(name || ':' || CAST(round(probability * 100) AS INTEGER), ',' ORDER BY position) FROM stages"
        ),
        "Prospecting:10,Qualification:10,Needs Analysis:20,Value Proposition:50,Id. Decision Makers:60,\
         Perception Analysis:70,Proposal/Price Quote:75,Negotiation/Review:90,Closed Won:100,Closed Lost:0"
    );
    assert_eq!(
        salesforce.one(
            "SELECT string_agg(concat_ws('|', name, status, amount, coalesce(CAST(closed_at AS VARCHAR), '-'), expected_close_date, source, deal_type), ',' ORDER BY id) FROM deals"
        ),
        "Big|won|1000.00|2024-03-15 00:00:00|2024-03-15|organic|new_business,\
         Small|open|250.00|-|2024-04-20|event|upsell,\
         Lost one|lost|90.00|2024-02-28 00:00:00|2024-02-28|partner|new_business"
    );
}

#[test]
fn pipedrive_salesforce_and_activecampaign_headers_are_read() {
    let cases = [
        (
            Preset::Pipedrive,
            "Person - ID,Person - First name,Person - Last name,Person - Email,Person - Person created\n11,Ana,Pérez,ana@x.com,2024-05-01 09:00\n",
        ),
        (
            Preset::Salesforce,
            "Contact ID,First Name,Last Name,Email,Created Date\n11,Ana,Pérez,ana@x.com,2024-05-01 09:00\n",
        ),
        (
            Preset::Activecampaign,
            "Contact ID,First Name,Last Name,Email,Date Created\n11,Ana,Pérez,ana@x.com,2024-05-01 09:00\n",
        ),
    ];
    for (preset, csv) in cases {
        let f = Fixture::new();
        let path = f.write("people.csv", csv);
        f.import("contacts", &path, Some(preset)).unwrap();
        assert_eq!(
            f.rows("SELECT external_id, first_name, last_name, email, CAST(created_at AS VARCHAR), source_system FROM contacts")[0],
            [
                serde_json::json!("11"),
                "Ana".into(),
                "Pérez".into(),
                "ana@x.com".into(),
                "2024-05-01 09:00:00".into(),
                "test".into()
            ],
            "{preset:?}"
        );
    }
}

#[test]
fn dates_and_numbers_in_every_format_and_spanish_headers() {
    let f = Fixture::new();
    // Semicolons, decimal commas, day-first dates (settled by 31/01), Spanish headers.
    let path = f.write(
        "empresas.csv",
        "Nombre;Empleados;Facturación;Fecha de creación\n\
         Uno;12;1.234,50 €;31/01/2024\n\
         Dos;7;(99,90);02/03/2024 14:30\n\
         Tres;3;0,5;2024-04-05T08:00:00+02:00\n",
    );
    let report = f.import("companies", &path, None).unwrap();
    assert_eq!(report.files[0].format, "CSV, UTF-8, delimiter ';'");
    assert_eq!(
        f.one("SELECT string_agg(name || '|' || employees || '|' || annual_revenue || '|' || CAST(created_at AS VARCHAR), ',' ORDER BY id) FROM companies"),
        "Uno|12|1234.50|2024-01-31 00:00:00,Dos|7|-99.90|2024-03-02 14:30:00,Tres|3|0.50|2024-04-05 06:00:00"
    );
    // Month-first, settled by 12/31, with booleans in Spanish.
    let users = f.write(
        "users.csv",
        "name,email,role,active,created_at\nAna,ana@x.com,rep,sí,12/31/2023\nBo,bo@x.com,manager,no,01/02/2024\n",
    );
    f.import("users", &users, None).unwrap();
    assert_eq!(
        f.one("SELECT string_agg(name || '|' || active || '|' || CAST(created_at AS DATE), ',' ORDER BY id) FROM users"),
        "Ana|true|2023-12-31,Bo|false|2024-01-02"
    );
}

#[test]
fn dates_that_read_two_ways_ask_for_a_date_format() {
    let f = Fixture::new();
    let path = f.write("c.csv", "name,created_at\nUno,01/02/2024\nDos,03/04/2024\n");
    let err = f.import("companies", &path, None).unwrap_err().to_string();
    assert!(
        err.contains("date_format") && err.contains("01/02/2024"),
        "{err}"
    );
    let sheet = read::read(&path, None).unwrap();
    let target = Target::read(&f.store, "companies").unwrap();
    let mut map = FileMap::new(
        &path,
        "companies",
        mapping::guess(&target, &sheet.headers, None),
    );
    map.date_format = Some("D/M/Y".into());
    let mapping = Mapping::single(map);
    load::import(&f.store, &mapping, &options(), &mut |_| Ok(())).unwrap();
    assert_eq!(
        f.one("SELECT string_agg(CAST(CAST(created_at AS DATE) AS VARCHAR), ',' ORDER BY id) FROM companies"),
        "2024-02-01,2024-04-03"
    );
    // Beside columns that tell both orders, a column that reads two ways still asks.
    let told_both = f.write(
        "people.csv",
        "email,created_at,birth_date,lead_at\nuno@x.com,13/01/2024,01/13/1990,01/02/2024\n",
    );
    let err = f
        .import("contacts", &told_both, None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("'lead_at'") && err.contains("date_format"),
        "{err}"
    );
}

#[test]
fn latin1_and_bom_files_read_the_same_as_utf8() {
    let text = "name,city\nPeñarol,Málaga\nÜber,Zürich\n";
    let latin1: Vec<u8> = text.chars().map(|c| c as u32 as u8).collect();
    let bom: Vec<u8> = [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat();
    for (name, bytes) in [("latin1.csv", latin1), ("bom.csv", bom)] {
        let f = Fixture::new();
        let path = f.write(name, bytes);
        f.import("companies", &path, None).unwrap();
        assert_eq!(
            f.one("SELECT string_agg(name || '/' || city, ',' ORDER BY id) FROM companies"),
            "Peñarol/Málaga,Über/Zürich",
            "{name}"
        );
    }
}

#[test]
fn workbooks_are_read_with_their_dates_and_numbers() {
    let f = Fixture::new();
    let path = f.place.dir().join("deals.xlsx");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let notes = workbook.add_worksheet();
    notes.set_name("Notes").unwrap();
    notes.write_string(0, 0, "not this sheet").unwrap();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Deals").unwrap();
    for (c, header) in ["Deal Name", "Stage", "Amount", "Created"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *header).unwrap();
    }
    let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2024, 3, 15).unwrap();
    let format = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
    sheet.write_string(1, 0, "Big one").unwrap();
    sheet.write_string(1, 1, "Demo").unwrap();
    sheet.write_number(1, 2, 2500.5).unwrap();
    sheet
        .write_datetime_with_format(1, 3, &date, &format)
        .unwrap();
    workbook.save(&path).unwrap();

    let read = read::read(&path, Some("Deals")).unwrap();
    assert_eq!(read.headers, ["Deal Name", "Stage", "Amount", "Created"]);
    let target = Target::read(&f.store, "deals").unwrap();
    let mut map = FileMap::new(&path, "deals", mapping::guess(&target, &read.headers, None));
    map.sheet = Some("Deals".into());
    let mapping = Mapping::single(map);
    load::import(&f.store, &mapping, &options(), &mut |_| Ok(())).unwrap();
    assert_eq!(
        f.one("SELECT name || '|' || amount || '|' || CAST(created_at AS VARCHAR) || '|' || status FROM deals"),
        "Big one|2500.50|2024-03-15 00:00:00|open"
    );
    let missing = read::read(&path, Some("Nope")).unwrap_err().to_string();
    assert!(missing.contains("Notes, Deals"), "{missing}");
    let broken = f.write("broken.xlsx", b"PK\x03\x04 this is no workbook");
    assert!(read::read(&broken, None).is_err());
}

#[test]
fn bad_rows_are_quarantined_with_their_reason_and_the_rest_proceed() {
    let f = Fixture::new();
    let path = f.write(
        "companies.csv",
        "external_id,name,employees,created_at\n\
         1,Good,10,2024-01-01\n\
         2,Bad employees,many,2024-01-01\n\
         3,,5,2024-01-01\n\
         4,Bad date,5,someday\n\
         1,Repeated,10,2024-01-01\n\
         5,Too,many,fields,here\n\
         6,Also good,7,2024-01-02\n",
    );
    let report = f.import("companies", &path, None).unwrap();
    let file = &report.files[0];
    assert_eq!((file.rows, file.inserted, file.rejected), (7, 2, 5));
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(file.quarantine.as_ref().unwrap())
        .unwrap();
    assert_eq!(
        reader.headers().unwrap(),
        vec![
            "row",
            "reason",
            "external_id",
            "name",
            "employees",
            "created_at"
        ]
    );
    let rejected: Vec<(String, String, String)> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_owned(), r[1].to_owned(), r[3].to_owned())
        })
        .collect();
    let expected = [
        (
            "3",
            "column 'employees' (employees): 'many' is not a number",
            "Bad employees",
        ),
        ("4", "column 'name' (name) is empty", ""),
        (
            "5",
            "column 'created_at' (created_at): 'someday' is not a date",
            "Bad date",
        ),
        ("6", "repeats external_id '1' of row 2", "Repeated"),
        ("7", "has 5 fields, the header has 4", "Too"),
    ];
    assert_eq!(
        rejected,
        expected.map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.to_owned()))
    );
    assert_eq!(
        f.one("SELECT string_agg(name, ',' ORDER BY id) FROM companies"),
        "Good,Also good"
    );
}

#[test]
fn importing_the_same_file_twice_changes_nothing_the_second_time() {
    let f = Fixture::new();
    let path = f.write(
        "deals.csv",
        "id,name,stage,amount,owner,created_at\nA-1,One,Qualified,100,Zed,2024-01-01\nA-2,Two,Won,200,,2024-01-02\n",
    );
    let first = f.import("deals", &path, None).unwrap();
    assert_eq!(first.files[0].inserted, 2);
    let before = fingerprint(&f.store);
    let second = f.import("deals", &path, None).unwrap();
    let file = &second.files[0];
    assert_eq!((file.inserted, file.updated, file.unchanged), (0, 0, 2));
    assert_eq!(fingerprint(&f.store), before);
    // A changed amount updates that row only.
    let changed = f.write(
        "deals.csv",
        "id,name,stage,amount,owner,created_at\nA-1,One,Qualified,150,Zed,2024-01-01\nA-2,Two,Won,200,,2024-01-02\n",
    );
    let third = f.import("deals", &changed, None).unwrap();
    assert_eq!((third.files[0].updated, third.files[0].unchanged), (1, 1));
    assert_eq!(
        f.one("SELECT string_agg(CAST(amount AS VARCHAR), ',' ORDER BY id) FROM deals"),
        "150.00,200.00"
    );
}

/// On PostgreSQL a load that at least doubles a table builds the table's indexes after its
/// rows instead of inserting into them; the keys hold afterwards either way, and a small
/// load into the filled table keeps the indexes it has.
#[test]
fn a_first_import_of_many_rows_leaves_the_keys_in_force() {
    const ROWS: usize = 120_000;
    let f = Fixture::new();
    let mut file = String::from("Contact ID,First Name,Email\n");
    for i in 0..ROWS {
        file.push_str(&format!("C{i},Ana,ana{i}@example.com\n"));
    }
    let path = f.write("contacts.csv", file);
    // Each index's name and definition, and on PostgreSQL the catalogue's number for the
    // index itself, which a build from scratch changes.
    let indexes = |with_oids: bool| -> Vec<String> {
        if !embudo_testkit::on_postgres() {
            return Vec::new();
        }
        let oid = if with_oids {
            "CAST(c.oid AS VARCHAR)"
        } else {
            "''"
        };
        f.rows(&format!(
            "SELECT i.indexname || ' ' || i.indexdef || ' ' || {oid}
               FROM pg_indexes i JOIN pg_class c ON c.relname = i.indexname
              WHERE i.tablename = 'contacts' ORDER BY 1"
        ))
        .into_iter()
        .map(|row| row[0].as_str().unwrap().to_owned())
        .collect()
    };
    let before = (indexes(false), indexes(true));
    let report = f.import("contacts", &path, None).unwrap();
    assert_eq!(report.files[0].inserted, ROWS);
    assert_eq!(
        f.one("SELECT count(DISTINCT external_id) FROM contacts"),
        ROWS
    );
    let rebuilt = (indexes(false), indexes(true));
    assert_eq!(
        rebuilt.0, before.0,
        "the same indexes, defined the same way"
    );
    if embudo_testkit::on_postgres() {
        assert!(
            rebuilt.1.iter().all(|index| !before.1.contains(index)),
            "every index built anew: {:?} then {:?}",
            before.1,
            rebuilt.1
        );
    }
    // The primary key and the external ids' uniqueness are in force.
    let id = f.one("SELECT min(id) FROM contacts").as_i64().unwrap();
    let copy = |id: i64, external: &str| {
        f.store.execute_with(
            "INSERT INTO contacts (id, created_at, updated_at, source_system, external_id)
             SELECT ?, created_at, updated_at, source_system, ? FROM contacts WHERE external_id = 'C7'",
            &[embudo_store::Param::Int(id), embudo_store::Param::Text(external.into())],
        )
    };
    assert!(copy(id, "new").is_err(), "a repeated id is refused");
    assert!(
        copy(id + 10 * ROWS as i64, "C7").is_err(),
        "a repeated external id is refused"
    );
    // A few rows into the filled table go into its indexes.
    let few = f.write("few.csv", "Contact ID,First Name\nD1,Bea\nD2,Cai\n");
    assert_eq!(
        f.import("contacts", &few, None).unwrap().files[0].inserted,
        2
    );
    assert_eq!(indexes(true), rebuilt.1);
}

#[test]
fn an_import_stopped_or_failing_midway_leaves_every_table_unchanged() {
    let f = Fixture::new();
    let companies = f.write("companies.csv", "name\nAcme\nBeta\n");
    let stages = f.write(
        "stages.csv",
        "id,pipeline_id,name,position,probability,kind\n1,1,Demo,1,0.5,open\n2,1,Broken,2,1.5,open\n",
    );
    let mapping = Mapping {
        files: vec![
            FileMap::new(
                &companies,
                "companies",
                [("name".to_owned(), "name".to_owned())].into(),
            ),
            FileMap::new(
                &stages,
                "stages",
                [
                    "id",
                    "pipeline_id",
                    "name",
                    "position",
                    "probability",
                    "kind",
                ]
                .map(|c| (c.to_owned(), c.to_owned()))
                .into(),
            ),
        ],
        ..Mapping::default()
    };
    let before = fingerprint(&f.store);
    // The store refuses a probability of 1.5 after the companies went in.
    let err = load::import(&f.store, &mapping, &options(), &mut |_| Ok(())).unwrap_err();
    assert!(
        err.to_string().to_lowercase().contains("constraint"),
        "{err}"
    );
    assert_eq!(fingerprint(&f.store), before);
    // Stopped from outside after the first file.
    let mut steps = 0;
    let stopped = load::import(&f.store, &mapping, &options(), &mut |_| {
        steps += 1;
        if steps == 3 {
            Err(IngestError::Stopped("killed".into()))
        } else {
            Ok(())
        }
    });
    assert!(stopped.is_err());
    assert_eq!(fingerprint(&f.store), before);
    // A dry run does everything and keeps nothing.
    let dry = Options {
        dry_run: true,
        ..options()
    };
    let report = load::import(
        &f.store,
        &Mapping::single(mapping.files[0].clone()),
        &dry,
        &mut |_| Ok(()),
    )
    .unwrap();
    assert_eq!(report.files[0].inserted, 2);
    assert_eq!(fingerprint(&f.store), before);
}

#[test]
fn every_table_exported_to_csv_imports_into_an_empty_store_identically() {
    let place = Place::new();
    let mut source = place.store("source");
    let params = embudo_synth::Params {
        scale: embudo_synth::Scale::Small,
        seed: 5,
        now: options().now,
        defect_rate: 0.1,
        signal: true,
    };
    embudo_synth::fill(&mut source, &params).unwrap();
    let target = place.store("target");
    let mut files = Vec::new();
    for table in CANONICAL_TABLES {
        let path = place.dir().join(format!("{table}.csv"));
        let mut out = std::fs::File::create(&path).unwrap();
        export::table(&source, table, export::Format::Csv, &mut out).unwrap();
        let sheet = read::read(&path, None).unwrap();
        let columns = mapping::guess(&Target::read(&target, table).unwrap(), &sheet.headers, None);
        assert_eq!(
            columns.len(),
            sheet.headers.len(),
            "{table}: every column maps to itself"
        );
        files.push(FileMap::new(&path, table, columns));
    }
    let mapping = Mapping {
        files,
        ..Mapping::default()
    };
    let report = load::import(&target, &mapping, &options(), &mut |_| Ok(())).unwrap();
    assert_eq!(
        report.rejected(),
        0,
        "{:?}",
        report.files.iter().flat_map(|f| &f.rejections).next()
    );
    let (want, got) = (fingerprint(&source), fingerprint(&target));
    for ((table, want), got) in CANONICAL_TABLES.iter().zip(&want).zip(&got) {
        assert_eq!(want, got, "{table} differs after the round trip");
    }
}

#[test]
fn a_history_imported_later_replaces_the_synthesised_one() {
    let f = Fixture::new();
    let deals = f.write(
        "deals.csv",
        "external_id,name,stage,created_at\nD1,One,Demo,2024-01-01\nD2,Two,Demo,2024-01-02\n",
    );
    f.import("deals", &deals, None).unwrap();
    assert_eq!(
        f.one("SELECT count(*) FROM deal_stage_history WHERE synthesised"),
        2
    );
    // The CRM's own history of deal 1 (two visits, ids of its own): deal 1's synthesised
    // row goes, deal 2's stays.
    let history = f.write(
        "history.csv",
        "deal_id,stage_id,entered_at,exited_at\n1,1,2024-01-01,2024-01-05\n1,1,2024-01-09,\n",
    );
    let report = f.import("deal_stage_history", &history, None).unwrap();
    assert_eq!(report.files[0].inserted, 2);
    assert_eq!(
        f.one("SELECT string_agg(deal_id || ':' || synthesised, ',' ORDER BY deal_id, entered_at) FROM deal_stage_history"),
        "1:false,1:false,2:true"
    );
}

#[test]
fn a_deal_found_in_another_stage_moves_there_at_the_import_and_its_changes_are_logged() {
    let f = Fixture::new();
    let deals = f.write(
        "deals.csv",
        "external_id,name,stage,amount,created_at\nD1,One,Demo,100,2024-01-01\nD2,Two,Demo,200,2024-01-02\n",
    );
    f.import("deals", &deals, None).unwrap();
    // The next export has deal 1 a stage further on and worth more; deal 2 as it was.
    let later = f.write(
        "deals.csv",
        "external_id,name,stage,amount,created_at\nD1,One,Proposal,150,2024-01-01\nD2,Two,Demo,200,2024-01-02\n",
    );
    let mut options = options();
    options.now += chrono::Duration::days(3);
    f.import_with("deals", &later, None, &options).unwrap();
    // Deal 1 left Demo and entered Proposal at the second import; deal 2 is still in Demo.
    assert_eq!(
        f.one(
            "SELECT string_agg(d.name || ':' || s.name || ':' || CAST(h.entered_at AS VARCHAR) || '-' || coalesce(CAST(h.exited_at AS VARCHAR), 'now'), ', ' ORDER BY h.deal_id, h.entered_at)
               FROM deal_stage_history h JOIN stages s ON s.id = h.stage_id JOIN deals d ON d.id = h.deal_id"
        ),
        "One:Demo:2024-01-01 00:00:00-2026-07-04 09:00:00, One:Proposal:2026-07-04 09:00:00-now, Two:Demo:2024-01-02 00:00:00-now"
    );
    assert_eq!(
        f.one("SELECT count(DISTINCT id) = count(*) FROM deal_stage_history"),
        true
    );
    // Its stage and amount changes are logged at the import, by nobody, as the API logs
    // a person's (the first import logged nothing: those deals were new).
    assert_eq!(
        f.one(
            "SELECT string_agg(c.field || ' ' || c.old_value || '>' || c.new_value || ' ' || CAST(c.changed_at AS VARCHAR) || ' ' || coalesce(CAST(c.changed_by AS VARCHAR), '-'), ', ' ORDER BY c.field)
               FROM deal_changes c JOIN deals d ON d.id = c.deal_id WHERE d.name = 'One'"
        ),
        format!(
            "amount 100.00>150.00 2026-07-04 09:00:00 -, stage_id {}>{} 2026-07-04 09:00:00 -",
            f.one("SELECT id FROM stages WHERE name = 'Demo'"),
            f.one("SELECT id FROM stages WHERE name = 'Proposal'")
        )
    );
    assert_eq!(f.one("SELECT count(*) FROM deal_changes"), 2);
}

#[test]
fn json_lines_and_a_mapping_pipeline_with_its_stages() {
    let f = Fixture::new();
    let deals = f.write(
        "deals.jsonl",
        "{\"ref\": \"X1\", \"title\": \"One\", \"step\": \"Engaging\", \"value\": 1200.5, \"custom\": {\"tier\": \"gold\"}}\n\
         not json at all\n\
         {\"ref\": \"X2\", \"title\": \"Two\", \"step\": \"Ganado\", \"value\": \"3.000,00\"}\n",
    );
    let mapping_text = format!(
        r#"
source_system = "sheet"
[[file]]
path = "{}"
entity = "deals"
[file.columns]
external_id = "ref"
name = "title"
stage = "step"
amount = "value"
custom = "custom"
[file.defaults]
pipeline = "Sales"

[pipeline]
name = "Sales"
[pipeline.stages]
"Prospecting" = {{ order = 1, probability = 0.1 }}
"Engaging" = {{ order = 2, probability = 0.5 }}
"Ganado" = {{ order = 3, probability = 1.0, kind = "won" }}
"#,
        deals.file_name().unwrap().to_str().unwrap()
    );
    let map_path = f.write("map.toml", mapping_text);
    let mapping = Mapping::read(&map_path).unwrap();
    let report = load::import(&f.store, &mapping, &options(), &mut |_| Ok(())).unwrap();
    let file = &report.files[0];
    assert_eq!(
        (file.inserted, file.rejected),
        (1, 2),
        "{:?}",
        file.rejections
    );
    // The unreadable line and the decimal-comma text in a point-decimal column are the
    // rejects; the stages exist in the mapping's order, none created from the data.
    assert_eq!(
        file.rejections.iter().map(|r| r.row).collect::<Vec<_>>(),
        [2, 3]
    );
    assert!(file.created.is_empty(), "{:?}", file.created);
    assert_eq!(
        f.one("SELECT string_agg(name || ':' || kind || ':' || CAST(round(probability * 100) AS INTEGER), ',' ORDER BY position) FROM stages"),
        "Prospecting:open:10,Engaging:open:50,Ganado:won:100"
    );
    assert_eq!(
        f.one(&format!(
            "SELECT concat_ws('|', name, amount, status, source_system, {}) FROM deals",
            f.store.dialect().json_text("custom", &["tier"])
        )),
        "One|1200.50|open|sheet|gold"
    );
}

#[test]
fn a_column_a_file_leaves_out_keeps_its_value_on_update() {
    let f = Fixture::new();
    let full = f.write(
        "users.csv",
        "name,email,role,created_at\nAna,ana@x.com,manager,2024-01-01\n",
    );
    f.import("users", &full, None).unwrap();
    let deals = f.write(
        "deals.csv",
        "external_id,name,stage,currency,amount\nD1,One,Demo,EUR,100\n",
    );
    f.import("deals", &deals, None).unwrap();
    // Files without role or currency update what they do give, and nothing else.
    let names = f.write("names.csv", "name,email\nAna María,ana@x.com\n");
    let report = f.import("users", &names, None).unwrap();
    assert_eq!(report.files[0].updated, 1);
    let amounts = f.write(
        "amounts.csv",
        "external_id,name,stage,amount\nD1,One,Demo,150\n",
    );
    f.import("deals", &amounts, None).unwrap();
    assert_eq!(
        f.one("SELECT name || '|' || role FROM users"),
        "Ana María|manager"
    );
    assert_eq!(
        f.one("SELECT amount || '|' || currency FROM deals"),
        "150.00|EUR"
    );
}

/// Headers of a vendor's export, given no preset, are recognised by those only that
/// vendor writes, and named with what its preset would read otherwise than the guess:
/// HubSpot's `Close Date` (also when a closed deal closed) and `Deal owner` (the owner,
/// which no synonym reads). A sheet of common words gets no hint.
#[test]
fn a_vendors_export_given_no_preset_is_recognised_by_its_own_headers() {
    let fixture = Fixture::new();
    let deals = Target::read(&fixture.store, "deals").unwrap();
    let headers = |line: &str| -> Vec<String> { line.split(',').map(str::to_owned).collect() };
    let hubspot =
        headers("Record ID,Deal Name,Pipeline,Deal Stage,Amount,Close Date,Create Date,Deal owner");
    assert_eq!(
        mapping::vendor_of(&deals, &hubspot),
        Some((
            Preset::Hubspot,
            vec!["Close Date".to_owned(), "Deal owner".to_owned()]
        ))
    );
    let salesforce =
        headers("Opportunity ID,Opportunity Name,Account Name,Amount,Close Date,Stage");
    assert_eq!(
        mapping::vendor_of(&deals, &salesforce).map(|(vendor, _)| vendor),
        Some(Preset::Salesforce)
    );
    // Amount and Close Date are everybody's; Stage is Salesforce's alone, but one header
    // is not an export.
    let common = headers("Name,Amount,Close Date,Stage");
    assert_eq!(mapping::vendor_of(&deals, &common), None);
    let contacts = Target::read(&fixture.store, "contacts").unwrap();
    let plain = headers("First name,Last name,Email,Phone");
    assert_eq!(mapping::vendor_of(&contacts, &plain), None);
}

/// Activities as Pipedrive exports them (`Activity - Due date`, its done time, whom it is
/// assigned to) and as a person types them in Spanish land in their columns, their deal,
/// person and organisation found by name or e-mail; the export imported again updates its
/// activities by their Pipedrive id.
#[test]
fn activity_sheets_land_in_their_columns_and_records() {
    let f = Fixture::new();
    let files = [
        ("users", "users.csv", "name,email\nAna,ana@x.com\n"),
        ("companies", "companies.csv", "Name\nAcme\n"),
        (
            "contacts",
            "contacts.csv",
            "First name,Last name,Email,Company\nEva,Ruiz,eva@x.com,Acme\n",
        ),
        (
            "deals",
            "deals.csv",
            "external_id,name,stage,amount\nD1,Acme renewal,Demo,100\n",
        ),
        (
            "activities",
            "pipedrive-activities.csv",
            "Activity - ID,Activity - Subject,Activity - Type,Activity - Assigned to user,\
             Activity - Due date,Activity - Due time,Activity - Done,Activity - Marked as done time,\
             Activity - Add time,Activity - Deal,Activity - Contact person,Activity - Organization\n\
             101,Call back,call,Ana,2026-06-01,10:00,Done,2026-06-01 10:20:00,2026-05-28 09:00:00,\
             Acme renewal,Eva Ruiz,Acme\n\
             102,Send proposal,task,Ana,2026-06-03,,To do,,2026-05-29 12:00:00,Acme renewal,Eva Ruiz,Acme\n",
        ),
        (
            "activities",
            "actividades.csv",
            "Tipo;Asunto;Responsable;Fecha de vencimiento;Completada el;Fecha de creación;Negocio;Contacto\n\
             meeting;Demo;Ana;15/06/2026 16:00;16/06/2026 09:30;13/06/2026;Acme renewal;eva@x.com\n",
        ),
    ];
    for (entity, name, text) in files {
        let path = f.write(name, text);
        f.import(entity, &path, None).unwrap();
    }
    // The export again, one activity since done: updated by its Pipedrive id, not added twice.
    let again = f.write(
        "pipedrive-activities-again.csv",
        files[4].2.replace(",To do,,", ",Done,2026-06-02 17:00:00,"),
    );
    let report = f.import("activities", &again, None).unwrap();
    assert_eq!(
        (
            report.files[0].inserted,
            report.files[0].updated,
            report.files[0].unchanged
        ),
        (0, 1, 1)
    );
    assert_eq!(
        f.one("SELECT string_agg(external_id || '@' || source_system, ',' ORDER BY external_id) FROM activities"),
        "101@test,102@test"
    );
    let rows = f.rows(
        "SELECT a.subject || '|' || a.type || '|' || u.name || '|' || CAST(a.due_at AS VARCHAR) || '|'
                || coalesce(CAST(a.completed_at AS VARCHAR), '-') || '|' || CAST(a.created_at AS VARCHAR) || '|'
                || d.name || '|' || c.email || '|' || coalesce(co.name, '-')
           FROM activities a JOIN users u ON u.id = a.owner_id JOIN deals d ON d.id = a.deal_id
           JOIN contacts c ON c.id = a.contact_id LEFT JOIN companies co ON co.id = a.company_id
          ORDER BY a.created_at",
    );
    let rows: Vec<&str> = rows.iter().map(|r| r[0].as_str().unwrap()).collect();
    assert_eq!(
        rows,
        [
            "Call back|call|Ana|2026-06-01 00:00:00|2026-06-01 10:20:00|2026-05-28 09:00:00|Acme renewal|eva@x.com|Acme",
            "Send proposal|task|Ana|2026-06-03 00:00:00|2026-06-02 17:00:00|2026-05-29 12:00:00|Acme renewal|eva@x.com|Acme",
            "Demo|meeting|Ana|2026-06-15 16:00:00|2026-06-16 09:30:00|2026-06-13 00:00:00|Acme renewal|eva@x.com|-",
        ]
    );
}

/// Tickets as Zendesk and HubSpot export them and as a person types them in Spanish, calls
/// as a call centre's log and survey responses land in their columns and records; a call
/// finds its ticket by the help desk's id, and the help desk's export imported again updates
/// its tickets by that id.
#[test]
fn support_desk_exports_land_in_tickets_calls_and_surveys() {
    let f = Fixture::new();
    let files = [
        ("users", "users.csv", "name,email\nAna,ana@x.com\n"),
        ("companies", "companies.csv", "Name\nAcme\n"),
        (
            "contacts",
            "contacts.csv",
            "First name,Last name,Email,Company\nEva,Ruiz,eva@x.com,Acme\nLuis,Gómez,luis@y.com,\n",
        ),
        (
            "tickets",
            "zendesk-tickets.csv",
            "Id,Requester,Requester email,Assignee,Group,Subject,Status,Priority,Via,Ticket type,\
             Created at,Updated at,Solved at,Due date,Organization,Satisfaction Score\n\
             5001,Eva Ruiz,eva@x.com,Ana,Support,Cannot log in,Solved,high,email,problem,\
             2026-06-01 09:00:00,2026-06-02 10:00:00,2026-06-02 10:00:00,2026-06-03,Acme,Good\n\
             5002,Luis Gómez,luis@y.com,Ana,Support,Invoice,Open,normal,web,question,\
             2026-06-03 14:00:00,2026-06-03 14:00:00,,2026-06-05,,Offered\n",
        ),
        (
            "tickets",
            "casos.csv",
            "Número de ticket;Fecha de apertura;Primera respuesta;Fecha de resolución;Agente;Cliente;Canal;Tipo;Prioridad\n\
             C-7;12/06/2026 08:15;12/06/2026 08:40;14/06/2026 18:00;Ana;luis@y.com;phone;complaint;urgent\n",
        ),
        (
            "service_calls",
            "calls.csv",
            "Call ID,Direction,Agent,Customer email,Ticket ID,Started at,Answered at,Ended at,Handle time,Callback\n\
             c1,inbound,Ana,eva@x.com,5001,2026-06-01 08:55:00,2026-06-01 08:56:30,2026-06-01 09:06:30,660,no\n\
             c2,inbound,,luis@y.com,,2026-06-03 13:50:00,,2026-06-03 13:52:00,,no\n",
        ),
        (
            "surveys",
            "responses.csv",
            "Response ID,Email,Survey type,Score,Submitted at\nr1,eva@x.com,csat,4,2026-06-02 12:00:00\n",
        ),
    ];
    for (entity, name, text) in files {
        let path = f.write(name, text);
        f.import(entity, &path, None).unwrap();
    }
    // HubSpot's picklists say `Product issue`, `HIGH`, `Email`: the preset reads them.
    let hubspot = f.write(
        "hubspot-tickets.csv",
        "Ticket ID,Ticket name,Ticket status,Ticket owner,Priority,Create date,Close date,Source,\
         Category,Associated Contact,Associated Company,First agent reply date\n\
         9001,Login,Closed,Ana,HIGH,2026-06-05 09:00,2026-06-05 11:00,Email,Product issue,eva@x.com,\
         Acme,2026-06-05 09:30\n",
    );
    f.import("tickets", &hubspot, Some(Preset::Hubspot))
        .unwrap();
    // Zendesk's export again, the open ticket since solved: updated by its id, not added twice.
    let again = f.write(
        "zendesk-tickets-again.csv",
        files[3].2.replace("Open,normal", "Solved,normal").replace(
            "2026-06-03 14:00:00,,",
            "2026-06-03 14:00:00,2026-06-04 09:00:00,",
        ),
    );
    let report = f.import("tickets", &again, None).unwrap();
    assert_eq!(
        (
            report.files[0].inserted,
            report.files[0].updated,
            report.files[0].unchanged
        ),
        (0, 1, 1)
    );
    let text = |sql: &str| -> Vec<String> {
        f.rows(sql)
            .iter()
            .map(|r| r[0].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        text(
            "SELECT t.external_id || '@' || t.source_system || '|' || u.name || '|' || c.email || '|'
                    || coalesce(co.name, '-') || '|' || t.channel || '|' || t.type || '|' || t.priority || '|'
                    || CAST(t.opened_at AS VARCHAR) || '|' || coalesce(CAST(t.first_response_at AS VARCHAR), '-')
                    || '|' || coalesce(CAST(t.resolved_at AS VARCHAR), '-') || '|'
                    || coalesce(CAST(t.sla_due_at AS VARCHAR), '-') || '|' || coalesce(CAST(t.csat AS VARCHAR), '-')
               FROM tickets t JOIN users u ON u.id = t.agent_id JOIN contacts c ON c.id = t.contact_id
               LEFT JOIN companies co ON co.id = t.company_id
              ORDER BY t.opened_at"
        ),
        [
            "5001@test|Ana|eva@x.com|Acme|email|problem|high|2026-06-01 09:00:00|-|2026-06-02 10:00:00|2026-06-03 00:00:00|-",
            "5002@test|Ana|luis@y.com|-|web|question|normal|2026-06-03 14:00:00|-|2026-06-04 09:00:00|2026-06-05 00:00:00|-",
            "9001@test|Ana|eva@x.com|Acme|email|problem|high|2026-06-05 09:00:00|2026-06-05 09:30:00|2026-06-05 11:00:00|-|-",
            "C-7@test|Ana|luis@y.com|-|phone|complaint|urgent|2026-06-12 08:15:00|2026-06-12 08:40:00|2026-06-14 18:00:00|-|-",
        ]
    );
    assert_eq!(
        text(
            "SELECT s.external_id || '|' || coalesce(u.name, '-') || '|' || c.email || '|'
                    || coalesce(t.external_id, '-') || '|' || s.direction || '|' || CAST(s.queued_at AS VARCHAR)
                    || '|' || coalesce(CAST(s.answered_at AS VARCHAR), '-') || '|' || CAST(s.ended_at AS VARCHAR)
                    || '|' || coalesce(CAST(s.handle_seconds AS VARCHAR), '-') || '|' || CAST(s.is_callback AS VARCHAR)
               FROM service_calls s LEFT JOIN users u ON u.id = s.agent_id JOIN contacts c ON c.id = s.contact_id
               LEFT JOIN tickets t ON t.id = s.ticket_id
              ORDER BY s.queued_at"
        ),
        [
            "c1|Ana|eva@x.com|5001|inbound|2026-06-01 08:55:00|2026-06-01 08:56:30|2026-06-01 09:06:30|660|false",
            "c2|-|luis@y.com|-|inbound|2026-06-03 13:50:00|-|2026-06-03 13:52:00|-|false",
        ]
    );
    assert_eq!(
        text(
            "SELECT s.external_id || '|' || c.email || '|' || s.kind || '|' || CAST(s.score AS VARCHAR) || '|'
                    || CAST(s.responded_at AS VARCHAR)
               FROM surveys s JOIN contacts c ON c.id = s.contact_id"
        ),
        ["r1|eva@x.com|csat|4|2026-06-02 12:00:00"]
    );
}
