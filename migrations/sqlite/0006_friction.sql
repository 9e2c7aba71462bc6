-- Friction surfaces for travel time, one per scenario (walking, motorised, …): the
-- GeoTIFF as imported (read again by every instance on a change), and its grid so
-- that a listing needs no decoding.

CREATE TABLE friction_surfaces (
    scenario    TEXT PRIMARY KEY NOT NULL CHECK (length(scenario) BETWEEN 1 AND 32
                                                 AND scenario NOT GLOB '*[^a-z0-9_-]*'),
    demo        INTEGER NOT NULL CHECK (demo IN (0, 1)),
    width       INTEGER NOT NULL,
    height      INTEGER NOT NULL,
    west        DOUBLE PRECISION NOT NULL,
    north       DOUBLE PRECISION NOT NULL,
    cell_width  DOUBLE PRECISION NOT NULL,
    cell_height DOUBLE PRECISION NOT NULL,
    tiff        BLOB NOT NULL,
    imported_at TEXT NOT NULL,
    actor       TEXT NOT NULL
);
