-- A CRM's export gives each activity its id (Pipedrive's `Activity - ID`). Kept with the
-- system it came from, as contacts, companies and deals keep theirs, so the same export
-- imported again updates its activities instead of adding every one a second time. No
-- unique constraint: on ten million activities its index would cost the generator and
-- every import far more than the lookup it saves; an import matches the oldest row.
ALTER TABLE activities ADD COLUMN source_system VARCHAR;
ALTER TABLE activities ADD COLUMN external_id VARCHAR;
