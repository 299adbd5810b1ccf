-- A deal whose file gave no creation date has it inferred as the earliest date known of it.
-- Two of the dates known at its import are lost later: its file's last-change date (a stage
-- move overwrites `updated_at`) and the import's own instant. Without them, the first stage
-- move through the API became the earliest date known of a deal with no close, no contact
-- and no recorded stage entry, and moved its creation date forward to the move. The latest
-- moment such a deal is known to have existed is kept here and bounds its creation date.
-- Deals imported earlier get the creation date they were given, the best bound known now.
ALTER TABLE deals ADD COLUMN existed_by TIMESTAMP;
UPDATE deals SET existed_by = created_at WHERE created_at_inferred;
-- The view of live deals lists the table's columns as they were when it was made.
CREATE OR REPLACE VIEW live_deals AS
    SELECT * FROM deals WHERE deleted_at IS NULL AND merged_into_id IS NULL;
