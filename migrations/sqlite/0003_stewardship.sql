-- Organisations: the agencies that run facilities. The record as JSON in `doc`.
CREATE TABLE organisations (
    id         TEXT PRIMARY KEY NOT NULL,
    doc        TEXT NOT NULL,
    trusted    INTEGER NOT NULL,         -- its editors' writes publish at once
    updated_at TEXT NOT NULL
);

-- The organisation an account works for (agency editors write only its facilities).
ALTER TABLE users ADD COLUMN organisation TEXT;

-- Agency editors' creations, edits and closures of facilities, and their review.
-- `before`/`after` are facility documents (JSON); the facilities table keeps only
-- what is approved (or published by a trusted organisation).
CREATE TABLE proposals (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    facility_id  TEXT NOT NULL,
    organisation TEXT NOT NULL,
    proposer     TEXT NOT NULL,
    kind         TEXT NOT NULL,          -- create | update | close
    status       TEXT NOT NULL,          -- pending | approved | rejected | published
    before       TEXT,
    after        TEXT NOT NULL,
    reason       TEXT,
    decided_by   TEXT,
    created_at   TEXT NOT NULL,
    decided_at   TEXT
);
CREATE INDEX proposals_status ON proposals (status, organisation);
