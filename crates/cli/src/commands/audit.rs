//! `embudo audit`: checks, scores and the access review.

use crate::cli::{AuditArgs, AuditCommand, Format, MergeArgs};
use crate::config::Config;
use crate::output;
use anyhow::{Result, bail};
use chrono::NaiveDateTime;
use embudo_audit::checks::{self, Context};
use embudo_audit::{Finding, access, dedupe, merge as merging, score};
use embudo_model::Table;
use embudo_store::Store;
use serde_json::json;

pub fn run(config: &Config, args: &AuditArgs) -> Result<()> {
    let as_of = super::instant(config, args.at.as_deref())?;
    match &args.command {
        Some(AuditCommand::Access) => {
            let store = Store::open_read_only(&config.db)?;
            return output::print(&access::review(&store, as_of)?, config.format);
        }
        Some(AuditCommand::Duplicates { entity, threshold }) => {
            return duplicates(config, entity, *threshold);
        }
        Some(AuditCommand::Fix { check, apply }) => return fix(config, check, *apply, as_of),
        Some(AuditCommand::Unfix { batch }) => {
            let undone = embudo_audit::fix::undo(
                &Store::open(&config.db)?,
                *batch,
                chrono::Utc::now().naive_utc(),
            )?;
            super::hint(
                config,
                format_args!("Put back {undone} values of batch {batch}."),
            );
            return Ok(());
        }
        Some(AuditCommand::NotDuplicate { entity, a, b }) => {
            dedupe::mark_not_duplicate(
                &Store::open(&config.db)?,
                dedupe::Entity::parse(entity)?,
                *a,
                *b,
            )?;
            super::hint(
                config,
                format_args!("{a} and {b} will not be proposed as duplicates again."),
            );
            return Ok(());
        }
        None => {}
    }
    let store = Store::open(&config.db)?;
    let findings = checks::run(
        &Context::new(&store, as_of).with_declared(&config.labels),
        args.entity.as_deref(),
        args.check.as_deref(),
    )?;
    let scores = score::score(&findings);
    score::record(&store, &scores, chrono::Utc::now().naive_utc(), &findings)?;
    match config.format {
        Format::Json => {
            let document = json!({ "score": scores, "checks": findings });
            println!("{}", serde_json::to_string_pretty(&document)?);
            Ok(())
        }
        Format::Html => {
            let report = audit_report(&scores, &findings, &config.lang);
            print!(
                "{}",
                embudo_reports::html::page(
                    &report.title,
                    std::slice::from_ref(&report),
                    &config.lang
                )
            );
            Ok(())
        }
        Format::Xlsx | Format::Parquet => bail!("audit prints as table, csv, json or html"),
        Format::Table | Format::Csv => {
            output::print(&score_table(&scores), config.format)?;
            output::print(&checks_table(&findings), config.format)?;
            for note in findings.iter().filter_map(|f| f.note.as_deref()) {
                eprintln!("note: {note}");
            }
            Ok(())
        }
    }
}

/// The suggested values of one check, applied on request.
fn fix(config: &Config, check: &str, apply: bool, as_of: NaiveDateTime) -> Result<()> {
    if embudo_audit::fix::target(check).is_none() {
        let fixable: Vec<&str> = embudo_audit::fix::fixable().collect();
        bail!(
            "{check} has no automatic fix; fixable checks: {}",
            fixable.join(", ")
        );
    }
    let store = Store::open(&config.db)?;
    let finding = checks::run(
        &Context::new(&store, as_of).with_declared(&config.labels),
        None,
        Some(check),
    )?
    .remove(0);
    let rows = finding
        .rows
        .iter()
        .filter_map(|r| {
            r.fix
                .as_ref()
                .map(|fix| vec![json!(r.id), r.value.clone(), json!(fix)])
        })
        .collect();
    output::print(
        &Table {
            columns: vec!["id".into(), "value".into(), "fix".into()],
            rows,
        },
        config.format,
    )?;
    if apply {
        let (batch, changed) =
            embudo_audit::fix::apply(&store, &finding, chrono::Utc::now().naive_utc())?;
        super::hint(
            config,
            format_args!(
                "Changed {changed} values as batch {batch}; undo with `embudo audit unfix {batch}`."
            ),
        );
    } else {
        super::hint(config, "Nothing changed: add --apply to make these fixes.");
    }
    Ok(())
}

fn duplicates(config: &Config, entity: &str, threshold: f64) -> Result<()> {
    if !(0.0..=1.0).contains(&threshold) {
        bail!("--threshold is a probability between 0 and 1, not {threshold}");
    }
    let store = Store::open_read_only(&config.db)?;
    let entity = dedupe::Entity::parse(entity)?;
    let found = dedupe::find(&store, entity, threshold)?;
    if config.format == Format::Json {
        println!("{}", serde_json::to_string_pretty(&found)?);
        return Ok(());
    }
    // Members as people know them, with the id that `merge --ids` takes.
    let ids: Vec<i64> = found
        .clusters
        .iter()
        .flat_map(|c| c.members.clone())
        .collect();
    let names = dedupe::names(&store, entity, &ids)?;
    let rows = found
        .clusters
        .iter()
        .map(|c| {
            let members: Vec<String> = c
                .members
                .iter()
                .map(|id| match names.get(id).filter(|n| !n.is_empty()) {
                    Some(name) => format!("{name} (#{id})"),
                    None => format!("#{id}"),
                })
                .collect();
            vec![json!(c.id), json!(members.join(", ")), json!(c.confidence)]
        })
        .collect();
    output::print(
        &Table {
            columns: vec!["cluster".into(), "members".into(), "confidence".into()],
            rows,
        },
        config.format,
    )?;
    super::hint(
        config,
        format_args!(
            "{} clusters; {} pairs compared (blocking skipped {:.4}% of all pairs).",
            found.clusters.len(),
            found.blocking.pairs_compared,
            found.blocking.reduction_ratio * 100.0
        ),
    );
    Ok(())
}

/// One row per entity: its score and its dimensions'.
pub fn score_table(scores: &score::Scores) -> Table {
    let dimensions = embudo_audit::Dimension::ALL.map(|d| d.as_str());
    let mut columns = vec!["entity".to_owned(), "score".to_owned()];
    columns.extend(dimensions.iter().map(|d| d.to_string()));
    let mut rows: Vec<Vec<serde_json::Value>> = scores
        .entities
        .iter()
        .map(|(entity, e)| {
            let mut row = vec![json!(entity), json!(e.score)];
            row.extend(dimensions.iter().map(|d| json!(e.dimensions.get(*d))));
            row
        })
        .collect();
    let mut overall = vec![json!("all"), json!(scores.overall)];
    overall.extend(dimensions.iter().map(|_| serde_json::Value::Null));
    rows.push(overall);
    Table { columns, rows }
}

/// The findings by severity, then by failing rows, worst first.
fn worst_first(findings: &[Finding]) -> Vec<&Finding> {
    let mut sorted: Vec<&Finding> = findings.iter().collect();
    sorted.sort_by(|a, b| b.severity.cmp(&a.severity).then(b.failing.cmp(&a.failing)));
    sorted
}

/// A finding's first sample as `#id value → fix`.
fn first_sample(finding: &Finding) -> Option<String> {
    finding.samples.first().map(|s| match s.fix_text() {
        Some(fix) => format!("#{} {} → {fix}", s.id, s.value),
        None => format!("#{} {}", s.id, s.value),
    })
}

/// One row per check, worst first.
pub fn checks_table(findings: &[Finding]) -> Table {
    let rows = worst_first(findings)
        .into_iter()
        .map(|f| {
            let sample = first_sample(f);
            vec![
                json!(f.id),
                serde_json::to_value(f.severity).expect("serialisable"),
                json!(f.failing),
                json!(f.total),
                json!((f.pct * 10_000.0).round() / 100.0),
                json!(sample),
            ]
        })
        .collect();
    Table {
        columns: ["check", "severity", "failing", "total", "pct", "sample"]
            .map(String::from)
            .to_vec(),
        rows,
    }
}

/// `embudo merge`: the records of `--ids`, of a cluster, or of every sure cluster.
pub fn merge(config: &Config, args: &MergeArgs) -> Result<()> {
    let entity = merging::Entity::parse(&args.entity)?;
    let store = Store::open(&config.db)?;
    let groups: Vec<Vec<i64>> = if args.ids.is_empty() {
        let found = dedupe::find(&store, entity, dedupe::DEFAULT_THRESHOLD)?;
        match args.cluster {
            Some(id) => vec![
                found
                    .clusters
                    .iter()
                    .find(|c| c.id == id)
                    .map(|c| c.members.clone())
                    .ok_or_else(|| {
                        anyhow::anyhow!("no cluster {id}; `embudo audit duplicates` lists them")
                    })?,
            ],
            None => found
                .clusters
                .into_iter()
                .filter(|c| c.confidence >= args.min_confidence)
                .map(|c| c.members)
                .collect(),
        }
    } else {
        vec![args.ids.clone()]
    };
    let now = chrono::Utc::now().naive_utc();
    let by = std::env::var("USER").unwrap_or_else(|_| "embudo".into());
    let mut rows = Vec::new();
    for ids in &groups {
        let request = merging::Request {
            entity,
            ids,
            survivor: if groups.len() == 1 {
                args.survivor
            } else {
                None
            },
            by: &by,
            at: now,
            dry_run: args.dry_run,
        };
        let outcome = merging::merge(&store, &request, &mut |_| Ok(()))?;
        let merged: Vec<String> = outcome.merged.iter().map(i64::to_string).collect();
        let journal: Vec<String> = outcome.journal_ids.iter().map(i64::to_string).collect();
        rows.push(vec![
            json!(outcome.survivor),
            json!(merged.join(", ")),
            json!(outcome.filled.len()),
            json!(outcome.repointed),
            json!(if outcome.dry_run {
                "(dry run)".to_owned()
            } else {
                journal.join(", ")
            }),
        ]);
    }
    output::print(
        &Table {
            columns: [
                "survivor",
                "merged",
                "fields_filled",
                "rows_repointed",
                "journal_ids",
            ]
            .map(String::from)
            .to_vec(),
            rows,
        },
        config.format,
    )
}

/// `embudo unmerge JOURNAL_ID`.
pub fn unmerge(config: &Config, journal_id: i64) -> Result<()> {
    let store = Store::open(&config.db)?;
    let (survivor, merged) = merging::unmerge(&store, journal_id, chrono::Utc::now().naive_utc())?;
    super::hint(
        config,
        format_args!("Undid merge {journal_id}: {merged} is separate from {survivor} again."),
    );
    Ok(())
}

/// The audit as a report, for the HTML page.
fn audit_report(
    scores: &score::Scores,
    findings: &[Finding],
    lang: &str,
) -> embudo_reports::Report {
    use embudo_reports::model::{Column, Kind, Section};
    let spanish = lang == "es";
    let column = |key: &str, kind: Kind| Column {
        key: key.to_owned(),
        kind,
        label: key.replace('_', " "),
    };
    let score_table = score_table(scores);
    let score_section = Section {
        name: "scores".into(),
        title: if spanish {
            "Calidad por entidad y dimensión"
        } else {
            "Quality by entity and dimension"
        }
        .into(),
        columns: score_table
            .columns
            .iter()
            .map(|c| {
                column(
                    c,
                    if c == "entity" {
                        Kind::Text
                    } else {
                        Kind::Number
                    },
                )
            })
            .collect(),
        rows: score_table.rows,
        ..Default::default()
    };
    let check_rows = worst_first(findings)
        .into_iter()
        .map(|f| {
            let sample = first_sample(f);
            vec![
                json!(f.id),
                json!(f.description),
                serde_json::to_value(f.severity).expect("serialisable"),
                json!(f.failing),
                json!(f.total),
                json!(f.pct),
                json!(sample),
            ]
        })
        .collect();
    let checks_section = Section {
        name: "checks".into(),
        title: if spanish { "Comprobaciones" } else { "Checks" }.into(),
        columns: vec![
            column("check", Kind::Text),
            column("meaning", Kind::Text),
            column("severity", Kind::Text),
            column("failing", Kind::Count),
            column("total", Kind::Count),
            column("share", Kind::Ratio),
            column("sample", Kind::Text),
        ],
        rows: check_rows,
        ..Default::default()
    };
    let headline = if spanish {
        format!(
            "Puntuación de calidad de los datos: {} / 100",
            scores.overall
        )
    } else {
        format!("Data quality score: {} / 100", scores.overall)
    };
    embudo_reports::Report {
        report: "audit".into(),
        title: if spanish {
            "Auditoría de datos"
        } else {
            "Data audit"
        }
        .into(),
        params: serde_json::Map::new(),
        generated_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        sections: vec![score_section, checks_section],
        insights: vec![headline],
        notes: findings.iter().filter_map(|f| f.note.clone()).collect(),
    }
}
