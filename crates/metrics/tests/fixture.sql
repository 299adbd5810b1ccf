-- A hand-built January 2026: the metric and report tests work their expected values out
-- from these rows by hand.
INSERT INTO teams VALUES (1, 'Sales', NULL), (2, 'Support', NULL);
INSERT INTO users (id, name, role, team_id, active, hourly_cost, created_at) VALUES
  (1, 'Ana', 'rep', 1, true, 40, '2025-01-01'),
  (2, 'Ben', 'rep', 1, true, 60, '2025-01-01'),
  (3, 'Cy', 'agent', 2, true, 30, '2025-01-01'),
  (4, 'Dee', 'rep', 1, false, 40, '2025-01-01'),   -- inactive: not an active user
  (5, 'Eve', 'rep', 1, true, 40, '2026-03-01');    -- joins after the range
INSERT INTO pipelines VALUES (1, 'New Business');
INSERT INTO stages (id, pipeline_id, name, position, probability, kind) VALUES (1, 1, 'Qualified', 1, 0.2, 'open'), (2, 1, 'Proposal', 2, 0.6, 'open'),
                          (3, 1, 'Won', 3, 1.0, 'won'), (4, 1, 'Lost', 4, 0.0, 'lost');
INSERT INTO products VALUES (1, 'Basic', 'A', 100, 40), (2, 'Plus', 'A', 200, 80), (3, 'Cable', 'B', 50, 10);
INSERT INTO campaigns VALUES (1, 'Winter mail', 'email', '2026-01-03', '2026-01-20', 400),
                             (2, 'Autumn ads', 'paid_ads', '2025-10-01', '2025-10-30', 1000);
INSERT INTO contacts (id, lead_source, lead_at, customer_at, referred_by_contact_id, country, owner_id, created_at, updated_at, deleted_at, merged_into_id) VALUES
  (1, 'email', '2026-01-05', '2026-01-20', NULL, 'ES', 1, '2026-01-05', '2026-01-20', NULL, NULL),
  (2, 'paid_ads', '2026-01-31 23:59:59', NULL, NULL, 'US', 2, '2026-01-31 23:59:59', '2026-01-31 23:59:59', NULL, NULL),
  (3, 'email', '2026-02-01 00:00:00', NULL, NULL, 'ES', 1, '2026-02-01', '2026-02-01', NULL, NULL),   -- lead at the exclusive end
  (4, 'email', '2026-01-10', '2026-01-15', NULL, 'ES', 1, '2026-01-10', '2026-01-10', '2026-01-11', NULL), -- deleted
  (5, 'email', '2026-01-12', NULL, NULL, 'ES', 1, '2026-01-12', '2026-01-12', NULL, 1),             -- merged
  (6, 'organic', '2025-05-01', '2025-06-01', NULL, 'ES', 1, '2025-05-01', '2026-01-09', NULL, NULL),
  (7, 'organic', '2025-02-01', '2025-03-01', NULL, 'US', 2, '2025-02-01', '2026-01-31', NULL, NULL),
  (8, 'organic', '2025-01-01', '2025-02-01', NULL, 'US', 2, '2025-01-01', '2025-12-31', NULL, NULL),
  (9, 'referral', NULL, NULL, 6, 'ES', 1, '2026-01-15', '2026-01-15', NULL, NULL),   -- referred by a customer
  (10, 'referral', NULL, NULL, 2, 'ES', 1, '2026-01-16', '2026-01-16', NULL, NULL),  -- referred by a non-customer
  (11, 'direct', '2025-03-01', '2025-04-01', NULL, 'US', 2, '2025-03-01', '2026-01-15', NULL, NULL);
INSERT INTO deals (id, name, pipeline_id, stage_id, status, amount, cost, currency, owner_id, contact_id, product_id, campaign_id, source, deal_type, created_at, closed_at, lost_reason, updated_at, deleted_at) VALUES
  (1, 'd1', 1, 3, 'won', 1000, 400, 'USD', 1, 1, 1, 1, 'email', 'new_business', '2025-12-22', '2026-01-20', NULL, '2026-01-20', NULL),
  (2, 'd2', 1, 4, 'lost', 500, NULL, 'USD', 2, 2, 1, NULL, 'paid_ads', 'new_business', '2026-01-02', '2026-01-25', 'Price', '2026-01-25', NULL),
  (3, 'd3', 1, 3, 'won', 2000, NULL, 'USD', 1, 6, 1, NULL, 'organic', 'new_business', '2025-05-01', '2025-06-01', NULL, '2025-06-01', NULL),
  (4, 'd4', 1, 2, 'open', 3000, NULL, 'USD', 2, 7, 1, NULL, 'organic', 'upsell', '2025-11-01', NULL, NULL, '2026-01-15', NULL),
  (5, 'd5', 1, 1, 'open', 700, NULL, 'USD', 1, 2, 1, NULL, 'paid_ads', 'new_business', '2026-01-28', NULL, NULL, '2026-01-28', NULL),
  (6, 'd6', 1, 3, 'won', 9999, NULL, 'USD', 1, 1, 1, NULL, 'email', 'new_business', '2025-12-01', '2026-01-10', NULL, '2026-01-10', '2026-01-12'),
  (7, 'd7', 1, 3, 'won', 300, 100, 'USD', 2, 7, 2, NULL, 'organic', 'renewal', '2026-01-01', '2026-01-31 23:00', NULL, '2026-01-31', NULL);
INSERT INTO deal_stage_history (id, deal_id, stage_id, entered_at, exited_at, changed_by) VALUES
  (1, 1, 1, '2025-12-22', '2026-01-10', 1), (2, 1, 2, '2026-01-10', '2026-01-20', 1), (3, 1, 3, '2026-01-20', NULL, 1),
  (4, 2, 1, '2026-01-02', '2026-01-25', 2), (5, 2, 4, '2026-01-25', NULL, 2),
  (6, 3, 1, '2025-05-01', '2025-06-01', 1), (7, 3, 3, '2025-06-01', NULL, 1),
  -- d4 was lost on 2025-12-01 and reopened on 2026-01-15
  (8, 4, 1, '2025-11-01', '2025-12-01', 2), (9, 4, 4, '2025-12-01', '2026-01-15', 2), (10, 4, 2, '2026-01-15', NULL, 2),
  (11, 5, 1, '2026-01-28', NULL, 1),
  (12, 6, 1, '2025-12-01', '2026-01-10', 1), (13, 6, 3, '2026-01-10', NULL, 1),
  (14, 7, 1, '2026-01-01', '2026-01-31 23:00', 2), (15, 7, 3, '2026-01-31 23:00', NULL, 2);
INSERT INTO orders (id, contact_id, campaign_id, ordered_at, currency, deleted_at) VALUES
  (1, 6, 1, '2026-01-08', 'USD', NULL), (2, 6, NULL, '2026-01-09', 'USD', NULL),
  (3, 6, NULL, '2026-01-10', 'USD', '2026-01-11'),
  (4, 11, NULL, '2025-04-01', 'USD', NULL), (5, 11, NULL, '2026-01-15', 'USD', NULL),
  (6, 7, NULL, '2025-03-01', 'USD', NULL);  -- c7's first purchase: its customer_at
INSERT INTO order_lines VALUES (1, 1, 3, 2, 40, 10), (2, 2, 2, 1, 150, NULL), (3, 3, 2, 5, 100, 10),
                               (4, 4, 3, 1, 50, 10), (5, 5, 3, 1, 50, 10), (6, 6, 2, 1, 200, 80);
INSERT INTO subscriptions VALUES
  (1, 7, NULL, 1, '2025-01-10', '2026-01-10', '2026-01-05', NULL, 10),
  (2, 8, NULL, 1, '2025-01-20', '2026-01-20', NULL, '2025-12-31', 10),
  (3, 7, NULL, 1, '2026-01-10', '2027-01-10', NULL, NULL, 10);
INSERT INTO activities (id, type, owner_id, deal_id, completed_at, created_at) VALUES
  (1, 'call', 1, 1, '2025-12-28', '2025-12-28'),
  (2, 'call', 1, 1, '2026-01-05', '2026-01-05'),
  (3, 'call', 2, 2, '2026-01-03', '2026-01-03'),
  (4, 'call', 2, 2, NULL, '2026-01-03'),
  (5, 'call', 1, 6, '2026-01-05', '2026-01-05'),
  (6, 'proposal', 1, 1, '2026-01-12', '2026-01-12'),
  (7, 'proposal', 1, 1, '2026-02-01 00:00:00', '2026-01-31');
INSERT INTO campaign_events VALUES (1, 1, 1, 'sent', '2026-01-03'), (2, 1, 1, 'responded', '2026-01-04'),
                                   (3, 1, 2, 'responded', '2026-02-01');
INSERT INTO list_subscriptions VALUES
  (1, 1, 'News', '2025-06-01', NULL), (2, 2, 'News', '2025-07-01', '2026-01-10'), (3, 6, 'News', '2026-01-05', NULL),
  (4, 7, 'News', '2026-01-06', NULL), (5, 8, 'News', '2025-01-01', '2025-12-01');
INSERT INTO web_visits VALUES
  (1, 'v1', NULL, '2026-01-02', 120, 2, '/', 'organic', true), (2, 'v2', NULL, '2026-01-03', 60, 1, '/', 'organic', false),
  (3, 'v3', NULL, '2026-01-31 23:59', 300, 4, '/', 'email', false), (4, 'v4', NULL, '2025-12-31 23:59:59', 30, 1, '/', 'email', true);
INSERT INTO tickets (id, agent_id, type, priority, opened_at, resolved_at, sla_due_at, work_seconds, csat) VALUES
  (1, 3, 'problem', 'high', '2026-01-05 09:00', '2026-01-05 17:00', '2026-01-05 12:00', 3600, 4),
  (2, 3, 'complaint', 'normal', '2026-01-06 22:00', '2026-01-07 02:00', '2026-01-07 22:00', 1800, NULL),
  (3, 3, 'complaint', 'normal', '2025-12-31 20:00', '2026-01-02 08:00', '2026-01-01 20:00', 7200, NULL),
  (4, 3, 'question', 'low', '2026-01-30', NULL, '2026-01-31 10:00', NULL, NULL),
  (5, 3, 'question', 'low', '2026-01-31', NULL, '2026-02-02', NULL, NULL);
INSERT INTO service_calls (id, agent_id, contact_id, ticket_id, direction, queued_at, answered_at, ended_at, handle_seconds, is_callback) VALUES
  (1, 3, 1, NULL, 'inbound', '2026-01-05', '2026-01-05 00:01', '2026-01-05 00:11', 600, false),
  (2, NULL, 1, NULL, 'inbound', '2026-01-06', NULL, '2026-01-06 00:05', NULL, false),
  (3, 3, 1, NULL, 'outbound', '2026-01-07', '2026-01-07 00:00', '2026-01-07 00:20', 1200, true),
  (4, 3, 1, NULL, 'inbound', '2026-02-01', '2026-02-01 00:01', '2026-02-01 00:02', 60, false);
INSERT INTO surveys (id, contact_id, kind, score, responded_at) VALUES
  (1, 1, 'csat', 5, '2026-01-10'), (2, 2, 'csat', 2, '2026-01-11'),
  (3, 1, 'nps', 10, '2026-01-03'), (4, 2, 'nps', 9, '2026-01-04'), (5, 6, 'nps', 8, '2026-01-05'), (6, 7, 'nps', 3, '2026-01-06');
INSERT INTO user_events VALUES
  (1, 1, 'login', NULL, NULL, '2026-01-05'), (2, 1, 'login', NULL, NULL, '2026-01-06'), (3, 2, 'login', NULL, NULL, '2026-01-06'),
  (4, 1, 'record_created', 'contact', 1, '2026-01-05'), (5, 2, 'record_updated', 'deal', 2, '2026-01-06'),
  (6, 2, 'record_updated', 'deal', 2, '2026-02-01'), (7, 1, 'report_viewed', NULL, NULL, '2026-01-07');
