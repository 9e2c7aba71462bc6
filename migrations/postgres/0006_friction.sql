-- Friction surfaces for travel time, one per scenario (walking, motorised, …): the
-- GeoTIFF as imported (read again by every instance on a change), and its grid so
-- that a listing needs no decoding.

CREATE TABLE friction_surfaces (
    scenario    TEXT PRIMARY KEY NOT NULL CHECK (scenario ~ '^[a-z0-9_-]{1,32}$'),
    demo        BOOLEAN NOT NULL,
    width       BIGINT NOT NULL,
    height      BIGINT NOT NULL,
    west        DOUBLE PRECISION NOT NULL,
    north       DOUBLE PRECISION NOT NULL,
    cell_width  DOUBLE PRECISION NOT NULL,
    cell_height DOUBLE PRECISION NOT NULL,
    tiff        BYTEA NOT NULL,
    imported_at TEXT NOT NULL,
    actor       TEXT NOT NULL
);
