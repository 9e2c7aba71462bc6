-- Facilities: the full record as JSON in `doc`, with the columns an operator filters on.
CREATE TABLE facilities (
    id           TEXT PRIMARY KEY NOT NULL,
    name         TEXT NOT NULL,
    sectors      TEXT NOT NULL,          -- comma-separated sector codes
    country      TEXT NOT NULL,
    lon          REAL NOT NULL,
    lat          REAL NOT NULL,
    status       TEXT NOT NULL,
    confidential INTEGER NOT NULL,
    demo         INTEGER NOT NULL,
    doc          TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

-- Admin areas (level 0 country, 1 region, 2 district); geometry is GeoJSON text.
CREATE TABLE areas (
    code     TEXT PRIMARY KEY NOT NULL,
    level    INTEGER NOT NULL,
    parent   TEXT,
    name     TEXT NOT NULL,
    names    TEXT NOT NULL,              -- JSON object language -> name
    geometry TEXT NOT NULL
);
CREATE INDEX areas_level ON areas (level);

-- Settlements / population points.
CREATE TABLE settlements (
    id         TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL,
    doc        TEXT NOT NULL,
    population REAL NOT NULL,
    lon        REAL NOT NULL,
    lat        REAL NOT NULL
);

-- Every write appends here in the same transaction; max(seq) is the data version.
CREATE TABLE changes (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    kind      TEXT NOT NULL,             -- facility | area | settlement
    entity_id TEXT NOT NULL,
    op        TEXT NOT NULL,             -- upsert | delete | replace
    at        TEXT NOT NULL
);
