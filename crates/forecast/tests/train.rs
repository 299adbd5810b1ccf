//! Training on real stores: no data, too little data, and a generated business whose
//! counts are checked with plain SQL.

use chrono::{NaiveDate, NaiveDateTime};
use embudo_forecast::train::{self, MIN_OUTCOMES};
use embudo_forecast::{backtest, explain, score};
use embudo_store::{Param, Store};
use embudo_testkit::Place;

fn now() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 6, 30)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap()
}

/// A small generated business as of `now()`, with or without signal in its outcomes.
fn business(signal: bool) -> (Place, Store) {
    let dir = Place::new();
    let mut store = dir.store("business");
    let params = embudo_synth::Params {
        scale: embudo_synth::Scale::Small,
        seed: 9,
        now: now(),
        defect_rate: 0.0,
        signal,
    };
    embudo_synth::fill(&mut store, &params).unwrap();
    (dir, store)
}

#[test]
fn without_enough_closed_deals_the_stages_are_used_and_it_says_why() {
    let dir = Place::new();
    let store = dir.store("empty");
    let (report, scorer) = train::train(&store, now()).unwrap();
    assert_eq!(report.used, "stage");
    assert!(scorer.is_none());
    assert!(report.reason.contains("no deal"), "{}", report.reason);

    store
        .execute_batch(
            "INSERT INTO pipelines VALUES (1, 'Sales');
             INSERT INTO stages (id, pipeline_id, name, position, probability, kind) VALUES (1, 1, 'Open', 1, 0.3, 'open'), (2, 1, 'Won', 2, 1.0, 'won'), (3, 1, 'Lost', 3, 0.0, 'lost');
             INSERT INTO deals (id, pipeline_id, stage_id, status, currency, created_at, closed_at, updated_at)
             SELECT i, 1, CASE WHEN i % 2 = 0 THEN 2 ELSE 3 END, CASE WHEN i % 2 = 0 THEN 'won' ELSE 'lost' END,
                    'USD', TIMESTAMP '2026-01-01' + i * INTERVAL '1 day', TIMESTAMP '2026-01-10' + i * INTERVAL '1 day',
                    TIMESTAMP '2026-01-10' + i * INTERVAL '1 day'
               FROM generate_series(1, 40) t(i);",
        )
        .unwrap();
    // 40 deals, 20 of each, 30 of them before the cut-off: far from 40 of each.
    let (report, _) = train::train(&store, now()).unwrap();
    assert_eq!(report.used, "stage");
    assert_eq!((report.train.won, report.train.lost), (15, 15));
    assert!(
        report.reason.contains(&MIN_OUTCOMES.to_string()),
        "{}",
        report.reason
    );
}

#[test]
fn a_generated_business_trains_out_of_time() {
    let (_dir, store) = business(true);
    let (report, scorer) = train::train(&store, now()).unwrap();
    let cutoff = report.cutoff.clone().expect("a cut-off");
    // The training counts are the deals closed before the cut-off, by plain SQL.
    let counted = store
        .query_with(
            "SELECT count(*) FILTER (WHERE status = 'won'), count(*) FILTER (WHERE status = 'lost')
               FROM deals WHERE deleted_at IS NULL AND merged_into_id IS NULL
                AND status IN ('won', 'lost') AND closed_at < CAST(? AS TIMESTAMP)",
            &[Param::Text(cutoff.clone())],
        )
        .unwrap();
    let row = &counted.rows[0];
    assert_eq!(
        (report.train.won as i64, report.train.lost as i64),
        (row[0].as_i64().unwrap(), row[1].as_i64().unwrap())
    );
    // The looks before the cut-off — every deal open, with a stage, every 14 days from the
    // first deal's creation — and those whose year had not run out by the cut-off while
    // their deal was still open at it, by plain SQL.
    let first = store
        .query_with(
            "SELECT CAST(min(created_at) AS VARCHAR) FROM deals WHERE deleted_at IS NULL AND merged_into_id IS NULL",
            &[],
        )
        .unwrap()
        .rows[0][0]
        .clone();
    let looks = store
        .query_with(
            "WITH live AS (SELECT * FROM deals WHERE deleted_at IS NULL AND merged_into_id IS NULL),
                  instants AS (SELECT seen AS at FROM generate_series(CAST($2 AS TIMESTAMP), CAST($1 AS TIMESTAMP),
                                                                      INTERVAL '14 day') AS g(seen)
                                WHERE seen < CAST($1 AS TIMESTAMP))
             SELECT count(*),
                    count(*) FILTER (WHERE i.at > CAST($1 AS TIMESTAMP) - INTERVAL '365 day'
                                       AND (d.closed_at IS NULL OR d.closed_at >= CAST($1 AS TIMESTAMP)))
               FROM instants i JOIN live d ON d.created_at <= i.at AND (d.closed_at IS NULL OR d.closed_at > i.at)
              WHERE EXISTS (SELECT 1 FROM deal_stage_history h WHERE h.deal_id = d.id AND h.entered_at <= i.at)",
            &[
                Param::Text(cutoff.clone()),
                Param::Text(first.as_str().unwrap().to_owned()),
            ],
        )
        .unwrap();
    let (all_looks, censored) = (
        looks.rows[0][0].as_i64().unwrap(),
        looks.rows[0][1].as_i64().unwrap(),
    );
    assert!(censored > 0);
    assert_eq!(report.train.censored as i64, censored);
    assert_eq!(
        (report.train.looks + report.train.censored) as i64,
        all_looks
    );
    // The pipeline as it stood at the cut-off, and the share of it won by now, by plain SQL.
    let pipeline = store
        .query_with(
            "SELECT count(*), count(*) FILTER (WHERE status = 'won' AND closed_at <= $2),
                    count(*) FILTER (WHERE closed_at IS NULL OR closed_at > $2)
               FROM deals WHERE deleted_at IS NULL AND merged_into_id IS NULL
                AND created_at <= CAST($1 AS TIMESTAMP)
                AND (closed_at IS NULL OR closed_at > CAST($1 AS TIMESTAMP))",
            &[
                Param::Text(report.cutoff.clone().unwrap()),
                Param::Timestamp(now()),
            ],
        )
        .unwrap();
    let row = &pipeline.rows[0];
    let open = &report.test.open_at_cutoff;
    assert_eq!(open.deals as i64, row[0].as_i64().unwrap());
    assert_eq!(open.still_open as i64, row[2].as_i64().unwrap());
    let observed = row[1].as_f64().unwrap() / row[0].as_f64().unwrap();
    assert!((open.observed.unwrap() - observed).abs() < 1e-12);
    // Forecasts score that pipeline: there too the model beats the stages, and its mean
    // probability is the share won within three points.
    assert!(
        open.brier.unwrap() < open.baseline_brier.unwrap(),
        "{open:?}"
    );
    assert!(
        (open.predicted.unwrap() - observed).abs() <= 0.03,
        "{open:?}"
    );

    // The generator's outcomes follow source, rep and engagement: the model must find
    // that, rank better than the stages and be used.
    assert_eq!(report.used, "model", "{report:?}");
    assert!(report.test.auc.unwrap() > report.test.baseline_auc.unwrap() + 0.05);
    assert!(report.test.brier.unwrap() < report.test.baseline_brier.unwrap());
    assert_eq!(
        report.reliability.iter().map(|b| b.deals).sum::<usize>(),
        report.test.n
    );
    assert_eq!(
        report
            .baseline_reliability
            .iter()
            .map(|b| b.deals)
            .sum::<usize>(),
        report.test.n
    );

    // Every deal open now gets a score; with the model, three factors each.
    let scored = score::score(&store, now(), scorer.as_ref()).unwrap();
    let open = store
        .query_with(
            "SELECT count(*) FROM deals WHERE deleted_at IS NULL AND merged_into_id IS NULL
                AND created_at <= CAST(? AS TIMESTAMP) AND (closed_at IS NULL OR closed_at > CAST(? AS TIMESTAMP))",
            &[Param::Timestamp(now()), Param::Timestamp(now())],
        )
        .unwrap();
    assert_eq!(scored as i64, open.rows[0][0].as_i64().unwrap());
    let stored = store
        .query_with(
            "SELECT count(*), count(DISTINCT deal_id), min(probability) >= 0 AND max(probability) <= 1,
                    min(json_array_length(factors)), max(json_array_length(factors))
               FROM deal_scores",
            &[],
        )
        .unwrap();
    // Explaining a deal gives the probability stored for it, from the model kept with it.
    let kept = store
        .query_with(
            "SELECT deal_id, probability FROM deal_scores ORDER BY deal_id LIMIT 1",
            &[],
        )
        .unwrap();
    let (deal, stored_probability) = (
        kept.rows[0][0].as_i64().unwrap(),
        kept.rows[0][1].as_f64().unwrap(),
    );
    let explained = explain::explain(&store, deal, now()).unwrap().unwrap();
    assert!((explained.probability - stored_probability).abs() < 1e-12);
    assert_eq!(
        explained.source,
        if scorer.is_some() { "model" } else { "stage" }
    );
    assert!(
        explained
            .raise
            .iter()
            .all(|(_, p)| *p > explained.probability)
    );
    // Each factor is one feature, the columns of a category summed, and none is lost: the
    // factors add up to the model's whole linear part less its bias.
    if let Some(scorer) = &scorer {
        let deal = embudo_forecast::features::of(&store, now(), deal)
            .unwrap()
            .unwrap();
        let row = scorer.encoder.encode(&deal);
        let columns: f64 = scorer.model.contributions(&row).iter().sum();
        let (_, factors) = scorer.score(&deal);
        let summed: f64 = factors.iter().map(|(_, c)| c).sum();
        assert!((columns - summed).abs() < 1e-9, "{columns} vs {summed}");
        assert_eq!(factors.len(), embudo_forecast::encode::FEATURES.len());
    }
    // A stored stage or pipeline factor names the deal's own stage or pipeline.
    let named = store
        .query_with(
            "SELECT CAST(sc.factors AS VARCHAR), s.name, p.name FROM deal_scores sc
               JOIN deals d ON d.id = sc.deal_id JOIN stages s ON s.id = d.stage_id
               JOIN pipelines p ON p.id = d.pipeline_id",
            &[],
        )
        .unwrap();
    let mut checked = 0;
    for row in &named.rows {
        let factors: Vec<serde_json::Value> =
            serde_json::from_str(row[0].as_str().unwrap()).unwrap();
        for factor in factors {
            let own = match factor["factor"].as_str().unwrap() {
                "stage" => &row[1],
                "pipeline" => &row[2],
                _ => continue,
            };
            assert_eq!(&factor["value"], own);
            checked += 1;
        }
    }
    assert!(
        scorer.is_none() || checked > 0,
        "no stage or pipeline factor"
    );
    let expected_factors = if scorer.is_some() { 3 } else { 0 };
    assert_eq!(
        stored.rows[0],
        [
            serde_json::json!(scored),
            serde_json::json!(scored),
            serde_json::json!(true),
            serde_json::json!(expected_factors),
            serde_json::json!(expected_factors)
        ]
    );
}

#[test]
fn without_a_model_each_open_deal_gets_its_stage_probability() {
    let dir = Place::new();
    let store = dir.store("stages");
    store
        .execute_batch(
            "INSERT INTO pipelines VALUES (1, 'Sales');
             INSERT INTO stages (id, pipeline_id, name, position, probability, kind) VALUES (1, 1, 'Open', 1, 0.3, 'open'), (2, 1, 'Late', 2, 0.7, 'open');
             INSERT INTO deals (id, pipeline_id, stage_id, status, currency, created_at, updated_at)
               VALUES (1, 1, 1, 'open', 'USD', '2026-01-01', '2026-01-01'), (2, 1, 2, 'open', 'USD', '2026-01-01', '2026-01-01');
             INSERT INTO deal_stage_history (id, deal_id, stage_id, entered_at) VALUES (1, 1, 1, '2026-01-01'), (2, 2, 2, '2026-01-01');",
        )
        .unwrap();
    assert_eq!(score::score(&store, now(), None).unwrap(), 2);
    let stored = store
        .query_with(
            "SELECT string_agg(deal_id || ':' || probability || ':' || model_version, ',' ORDER BY deal_id) FROM deal_scores",
            &[],
        )
        .unwrap();
    assert_eq!(
        stored.rows[0][0],
        format!("1:0.3:{0},2:0.7:{0}", score::STAGE_VERSION)
    );
}

#[test]
fn outcomes_without_signal_are_not_forecast_by_the_model() {
    let (_dir, store) = business(false);
    let (report, scorer) = train::train(&store, now()).unwrap();
    assert!(report.train.won >= MIN_OUTCOMES && report.train.lost >= MIN_OUTCOMES);
    assert_eq!(report.used, "stage", "{report:?}");
    assert!(scorer.is_none());
    assert!(report.reason.contains("no skill"), "{}", report.reason);
}

#[test]
fn a_backtest_compares_each_method_with_what_the_pipeline_of_the_time_brought() {
    let (_dir, store) = business(true);
    let at = NaiveDate::from_ymd_opt(2026, 2, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let result = backtest::run(&store, &[at], 2).unwrap();
    assert_eq!(result.months.len(), 2);
    // The actuals: deals open on 1 February won in February, then in March (plain SQL).
    for (row, (from, to)) in result
        .months
        .iter()
        .zip([("2026-02-01", "2026-03-01"), ("2026-03-01", "2026-04-01")])
    {
        let won = store
            .query_with(
                "SELECT coalesce(sum(amount), 0) FROM deals
                  WHERE status = 'won' AND deleted_at IS NULL AND merged_into_id IS NULL
                    AND created_at <= CAST(? AS TIMESTAMP) AND closed_at > CAST(? AS TIMESTAMP)
                    AND closed_at >= CAST(? AS TIMESTAMP) AND closed_at < CAST(? AS TIMESTAMP)",
                &[
                    Param::Timestamp(at),
                    Param::Timestamp(at),
                    Param::Text(from.into()),
                    Param::Text(to.into()),
                ],
            )
            .unwrap();
        assert!(
            (row.actual - won.rows[0][0].as_f64().unwrap()).abs() < 0.01,
            "{row:?}"
        );
        assert!(row.p10 <= row.p50 && row.p50 <= row.p90);
    }
    let actual: f64 = result.months.iter().map(|r| r.actual).sum();
    let stage_error: f64 = result
        .months
        .iter()
        .map(|r| (r.stage_weighted - r.actual).abs())
        .sum();
    let stage = result
        .methods
        .iter()
        .find(|m| m.method == "stage_weighted" && m.ahead.is_none())
        .unwrap();
    assert!((stage.wape.unwrap() - stage_error / actual).abs() < 1e-9);
    // One instant: the score two months ahead is the second month's alone.
    let second = &result.months[1];
    let expected_two_ahead = result
        .methods
        .iter()
        .find(|m| m.method == "expected" && m.ahead == Some(2))
        .unwrap();
    assert_eq!(second.ahead, 2);
    assert!(
        (expected_two_ahead.bias.unwrap() - (second.expected - second.actual) / second.actual)
            .abs()
            < 1e-9
    );
}
