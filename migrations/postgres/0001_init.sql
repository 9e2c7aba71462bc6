-- Facilities: the full record as JSON in `doc`, with the columns an operator filters on.
CREATE TABLE facilities (
    id           TEXT PRIMARY KEY NOT NULL,
    name         TEXT NOT NULL,
    sectors      TEXT NOT NULL,          -- comma-separated sector codes
    country      TEXT NOT NULL,
    lon          DOUBLE PRECISION NOT NULL,
    lat          DOUBLE PRECISION NOT NULL,
    status       TEXT NOT NULL,
    confidential BOOLEAN NOT NULL,
    demo         BOOLEAN NOT NULL,
    doc          TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

-- Admin areas (level 0 country, 1 region, 2 district); geometry is GeoJSON text.
CREATE TABLE areas (
    code     TEXT PRIMARY KEY NOT NULL,
    level    INTEGER NOT NULL,
    parent   TEXT,
    name     TEXT NOT NULL,
    names    TEXT NOT NULL,
    geometry TEXT NOT NULL
);
CREATE INDEX areas_level ON areas (level);

-- Settlements / population points.
CREATE TABLE settlements (
    id         TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL,
    doc        TEXT NOT NULL,
    population DOUBLE PRECISION NOT NULL,
    lon        DOUBLE PRECISION NOT NULL,
    lat        DOUBLE PRECISION NOT NULL
);

-- Every write appends here in the same transaction; max(seq) is the data version.
CREATE TABLE changes (
    seq       BIGSERIAL PRIMARY KEY,
    kind      TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    op        TEXT NOT NULL,
    at        TEXT NOT NULL
);

-- Tell every running instance (LISTEN tirek_changes) that data changed. The empty
-- payload lets PostgreSQL fold the notifications of one transaction into one.
CREATE FUNCTION tirek_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('tirek_changes', '');
    RETURN NULL;
END $$;
CREATE TRIGGER changes_notify AFTER INSERT ON changes
    FOR EACH STATEMENT EXECUTE FUNCTION tirek_notify_change();
