-- An index on every column that points at another record of the canonical tables.
-- DuckDB joins without them (it hashes whole tables); PostgreSQL answers the reports'
-- correlated lookups (a deal's last stage, a customer's earlier purchases, a user's
-- events) one row at a time, and without an index each is a scan of the whole table.

CREATE INDEX activities_owner_id ON activities (owner_id);
CREATE INDEX activities_contact_id ON activities (contact_id);
CREATE INDEX activities_company_id ON activities (company_id);
CREATE INDEX activities_deal_id ON activities (deal_id);
CREATE INDEX campaign_events_campaign_id ON campaign_events (campaign_id);
CREATE INDEX campaign_events_contact_id ON campaign_events (contact_id);
CREATE INDEX companies_owner_id ON companies (owner_id);
CREATE INDEX companies_parent_id ON companies (parent_id);
CREATE INDEX contacts_company_id ON contacts (company_id);
CREATE INDEX contacts_owner_id ON contacts (owner_id);
CREATE INDEX contacts_referred_by_contact_id ON contacts (referred_by_contact_id);
CREATE INDEX contacts_first_campaign_id ON contacts (first_campaign_id);
CREATE INDEX deal_changes_deal_id ON deal_changes (deal_id);
CREATE INDEX deal_scores_deal_id ON deal_scores (deal_id);
CREATE INDEX deal_stage_history_deal_id ON deal_stage_history (deal_id);
CREATE INDEX deal_stage_history_stage_id ON deal_stage_history (stage_id);
CREATE INDEX deals_pipeline_id ON deals (pipeline_id);
CREATE INDEX deals_stage_id ON deals (stage_id);
CREATE INDEX deals_owner_id ON deals (owner_id);
CREATE INDEX deals_contact_id ON deals (contact_id);
CREATE INDEX deals_company_id ON deals (company_id);
CREATE INDEX deals_campaign_id ON deals (campaign_id);
CREATE INDEX list_subscriptions_contact_id ON list_subscriptions (contact_id);
CREATE INDEX order_lines_order_id ON order_lines (order_id);
CREATE INDEX order_lines_product_id ON order_lines (product_id);
CREATE INDEX orders_contact_id ON orders (contact_id);
CREATE INDEX orders_company_id ON orders (company_id);
CREATE INDEX orders_campaign_id ON orders (campaign_id);
CREATE INDEX service_calls_agent_id ON service_calls (agent_id);
CREATE INDEX service_calls_contact_id ON service_calls (contact_id);
CREATE INDEX service_calls_ticket_id ON service_calls (ticket_id);
CREATE INDEX subscriptions_contact_id ON subscriptions (contact_id);
CREATE INDEX subscriptions_company_id ON subscriptions (company_id);
CREATE INDEX subscriptions_product_id ON subscriptions (product_id);
CREATE INDEX surveys_contact_id ON surveys (contact_id);
CREATE INDEX tickets_contact_id ON tickets (contact_id);
CREATE INDEX tickets_company_id ON tickets (company_id);
CREATE INDEX tickets_agent_id ON tickets (agent_id);
CREATE INDEX user_events_user_id ON user_events (user_id);
CREATE INDEX web_visits_contact_id ON web_visits (contact_id);
