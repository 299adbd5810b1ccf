-- Fields the store derives, and which of their values were worked out rather than given:
-- a deal whose file had no creation date gets the earliest date known of it, flagged so that
-- the audit and the sales cycle do not take it for a real one; a contact whose file gave a
-- lead source but no lead date is a lead since its creation, flagged likewise; and a
-- contact's `customer_at` set from its first revenue is flagged, so that it is cleared again
-- when that revenue goes, while a date a file gave for a contact without revenue is kept.
ALTER TABLE deals ADD COLUMN created_at_inferred BOOLEAN DEFAULT false;
ALTER TABLE contacts ADD COLUMN lead_at_inferred BOOLEAN DEFAULT false;
ALTER TABLE contacts ADD COLUMN customer_at_derived BOOLEAN DEFAULT false;
