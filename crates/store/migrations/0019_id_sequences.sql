-- One sequence per table whose rows Embudo creates (and for the numbers that group rows:
-- a fix batch, an audit run), so that two writers never take the same id. Rows may also
-- arrive with ids of their own (the generator, an import that brings ids, a migration
-- from another store): the store moves a sequence past them when it hands out ids
-- (`embudo_store::ids`), since a DuckDB sequence cannot be set.
CREATE SEQUENCE access_tokens_id START 1;
CREATE SEQUENCE action_journal_id START 1;
CREATE SEQUENCE activities_id START 1;
CREATE SEQUENCE audit_runs_run_id START 1;
CREATE SEQUENCE campaign_events_id START 1;
CREATE SEQUENCE campaigns_id START 1;
CREATE SEQUENCE companies_id START 1;
CREATE SEQUENCE contacts_id START 1;
CREATE SEQUENCE deal_changes_id START 1;
CREATE SEQUENCE deal_scores_id START 1;
CREATE SEQUENCE deal_stage_history_id START 1;
CREATE SEQUENCE deals_id START 1;
CREATE SEQUENCE fix_journal_batch_id START 1;
CREATE SEQUENCE goals_id START 1;
CREATE SEQUENCE list_subscriptions_id START 1;
CREATE SEQUENCE merge_journal_id START 1;
CREATE SEQUENCE order_lines_id START 1;
CREATE SEQUENCE orders_id START 1;
CREATE SEQUENCE pipelines_id START 1;
CREATE SEQUENCE products_id START 1;
CREATE SEQUENCE service_calls_id START 1;
CREATE SEQUENCE stages_id START 1;
CREATE SEQUENCE subscriptions_id START 1;
CREATE SEQUENCE surveys_id START 1;
CREATE SEQUENCE teams_id START 1;
CREATE SEQUENCE tickets_id START 1;
CREATE SEQUENCE user_events_id START 1;
CREATE SEQUENCE users_id START 1;
CREATE SEQUENCE web_visits_id START 1;
