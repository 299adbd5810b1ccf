-- revenue_lines: the one source of revenue for every metric (schema.md, "Products and revenue").
-- Won deals give one line each; order lines give one line each. Deleted or merged deals and
-- deleted orders are left out here, so no metric can forget to.

CREATE VIEW revenue_lines AS
SELECT
    'deal'                            AS kind,
    d.id                              AS deal_id,
    CAST(NULL AS BIGINT)              AS order_id,
    d.deal_type                       AS deal_type,
    d.product_id                      AS product_id,
    d.contact_id                      AS contact_id,
    d.company_id                      AS company_id,
    d.owner_id                        AS owner_id,
    d.campaign_id                     AS campaign_id,
    d.amount                          AS amount,
    d.cost                            AS cost,
    d.closed_at                       AS occurred_at
FROM deals AS d
WHERE d.status = 'won'
  AND d.deleted_at IS NULL
  AND d.merged_into_id IS NULL
UNION ALL
SELECT
    'order',
    NULL,
    o.id,
    NULL,
    l.product_id,
    o.contact_id,
    o.company_id,
    NULL,
    o.campaign_id,
    CAST(l.quantity * l.unit_price AS DECIMAL(18,2)),
    CAST(l.quantity * l.unit_cost AS DECIMAL(18,2)),
    o.ordered_at
FROM order_lines AS l
JOIN orders AS o ON o.id = l.order_id
WHERE o.deleted_at IS NULL;
