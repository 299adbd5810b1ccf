-- A help desk's export gives each ticket its id (Zendesk's `Id`, HubSpot's `Ticket ID`), a
-- call centre's each call, a survey tool's each response. Kept with the system they came
-- from, as activities keep theirs (migration 21), so the same export imported again updates
-- its rows instead of adding every one a second time, and a call can name its ticket by the
-- help desk's id. No unique constraint, for the reason migration 21 gives.
ALTER TABLE tickets ADD COLUMN source_system VARCHAR;
ALTER TABLE tickets ADD COLUMN external_id VARCHAR;
ALTER TABLE service_calls ADD COLUMN source_system VARCHAR;
ALTER TABLE service_calls ADD COLUMN external_id VARCHAR;
ALTER TABLE surveys ADD COLUMN source_system VARCHAR;
ALTER TABLE surveys ADD COLUMN external_id VARCHAR;
