//! Random bytes and random CSV shapes through the readers, the mapping guess and a whole
//! import: errors are fine, panics are not.

use chrono::NaiveDate;
use embudo_ingest::load::{self, Options};
use embudo_ingest::mapping::{self, FileMap, Mapping};
use embudo_ingest::read;
use embudo_ingest::target::Target;
use embudo_store::Store;
use proptest::prelude::*;

fn options() -> Options {
    Options {
        source_system: "fuzz".into(),
        now: NaiveDate::from_ymd_opt(2026, 7, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap(),
        dry_run: false,
        currency: "USD".into(),
        create_missing: vec![],
    }
}

/// A cell: letters, digits, the characters that make CSV and values hard, and accents.
fn cell() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[a-zA-Z0-9 ,;|\t\"\n\r/.:+\\-$€()éñ@]{0,12}").unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic_a_reader(bytes in proptest::collection::vec(any::<u8>(), 0..400),
                                         extension in prop::sample::select(vec!["csv", "jsonl", "xlsx", "ods", "bin"])) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("random.{extension}"));
        std::fs::write(&path, &bytes).unwrap();
        let _ = read::read(&path, None);
    }

    #[test]
    fn random_csv_shapes_never_panic_an_import(
        headers in proptest::collection::vec(
            prop::sample::select(vec!["name", "email", "Create Date", "amount", "Empleados", "id",
                                       "external_id", "owner", "stage", "custom", "birth_date", "x"]),
            1..6),
        rows in proptest::collection::vec(proptest::collection::vec(cell(), 0..7), 0..8),
        delimiter in prop::sample::select(vec![',', ';', '\t', '|']),
        entity in prop::sample::select(vec!["contacts", "companies", "deals", "users"]),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut text = headers.join(&delimiter.to_string());
        for row in &rows {
            text.push('\n');
            text.push_str(&row.join(&delimiter.to_string()));
        }
        let path = dir.path().join("shape.csv");
        std::fs::write(&path, text).unwrap();
        let store = Store::open(dir.path().join("fuzz.duckdb")).unwrap();
        let Ok(sheet) = read::read(&path, None) else { return Ok(()) };
        let target = Target::read(&store, entity).unwrap();
        let columns = mapping::guess(&target, &sheet.headers, None);
        let mapping = Mapping::single(FileMap::new(&path, entity, columns));
        let _ = load::import(&store, &mapping, &options(), &mut |_| Ok(()));
    }
}
