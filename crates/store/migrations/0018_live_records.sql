-- The records every figure counts: those neither deleted nor merged into another. One
-- definition, used by every query that means "the live ones" (`FROM live_deals d`), so
-- the rule is written once and a change to it is a new migration.
CREATE VIEW live_contacts AS
    SELECT * FROM contacts WHERE deleted_at IS NULL AND merged_into_id IS NULL;
CREATE VIEW live_companies AS
    SELECT * FROM companies WHERE deleted_at IS NULL AND merged_into_id IS NULL;
CREATE VIEW live_deals AS
    SELECT * FROM deals WHERE deleted_at IS NULL AND merged_into_id IS NULL;
