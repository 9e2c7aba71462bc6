-- "Report a problem with this listing": what the public tells an organisation about a
-- facility record. No reporter data is kept; the address is only rate-limited in memory.
CREATE TABLE reports (
    id           BIGSERIAL PRIMARY KEY,
    facility_id  TEXT NOT NULL,
    organisation TEXT,                   -- the facility's organisation when reported
    kind         TEXT NOT NULL,          -- wrong_phone | closed | moved | other
    text         TEXT NOT NULL,
    status       TEXT NOT NULL,          -- open | resolved | dismissed
    note         TEXT,                   -- the resolver's note
    decided_by   TEXT,
    created_at   TEXT NOT NULL,
    decided_at   TEXT
);
CREATE INDEX reports_status ON reports (status, organisation);
