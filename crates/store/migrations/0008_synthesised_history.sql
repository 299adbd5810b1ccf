-- Deals imported without their stage history get one built from the timestamps they have;
-- those rows say so, and a history imported later for the same deal replaces them. (DuckDB
-- cannot add a NOT NULL column; the default and every writer keep it false or true.)

ALTER TABLE deal_stage_history ADD COLUMN synthesised BOOLEAN DEFAULT false;
