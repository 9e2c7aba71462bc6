-- The non-identifying referral log and the unmet-needs log (GBVIMS: only
-- non-identifying data leave the agency that holds the case). No column can hold a
-- name, a birth date, a case number, free text or a place finer than a district: ids
-- and codes are checked for their shape, vocabularies are closed lists, filters are
-- bit masks, dates are days (no time of day). The audit log keeps its own times.

CREATE TABLE referrals (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    from_organisation TEXT NOT NULL REFERENCES organisations (id),
    to_facility       TEXT NOT NULL CHECK (length(to_facility) BETWEEN 1 AND 128
                                           AND to_facility NOT GLOB '*[^A-Za-z0-9._:-]*'),
    to_organisation   TEXT NOT NULL REFERENCES organisations (id),
    sector            TEXT NOT NULL CHECK (sector IN ('health', 'psychosocial', 'police', 'shelter',
                                           'legal', 'hotline', 'perpetrator_programme')),
    made_on           TEXT NOT NULL CHECK (length(made_on) = 10 AND made_on GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    consent_to_share  INTEGER NOT NULL CHECK (consent_to_share IN (0, 1)),
    status            TEXT NOT NULL CHECK (status IN ('made', 'accepted', 'service_provided', 'declined', 'no_show')),
    decline_reason    TEXT CHECK (decline_reason IN ('not_eligible', 'no_capacity', 'outside_area',
                                                     'survivor_withdrew', 'referred_elsewhere', 'other')),
    accepted_on       TEXT CHECK (length(accepted_on) = 10 AND accepted_on GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    closed_on         TEXT CHECK (length(closed_on) = 10 AND closed_on GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    country           TEXT NOT NULL CHECK (length(country) = 2 AND country NOT GLOB '*[^A-Z]*'),
    region            TEXT CHECK (length(region) BETWEEN 1 AND 64 AND region NOT GLOB '*[^A-Za-z0-9._-]*'),
    district          TEXT CHECK (length(district) BETWEEN 1 AND 64 AND district NOT GLOB '*[^A-Za-z0-9._-]*'),
    demo              INTEGER NOT NULL CHECK (demo IN (0, 1)),
    CHECK ((status = 'declined') = (decline_reason IS NOT NULL))
);
CREATE INDEX referrals_from ON referrals (from_organisation);
CREATE INDEX referrals_to ON referrals (to_organisation);

CREATE TABLE unmet_needs (
    id                        INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation              TEXT NOT NULL REFERENCES organisations (id),
    sector                    TEXT NOT NULL CHECK (sector IN ('health', 'psychosocial', 'police', 'shelter',
                                                   'legal', 'hotline', 'perpetrator_programme')),
    services                  INTEGER NOT NULL CHECK (services BETWEEN 0 AND 65535),   -- bit mask
    languages                 INTEGER NOT NULL CHECK (languages BETWEEN 0 AND 65535),  -- bit mask
    open_24_7                 INTEGER NOT NULL CHECK (open_24_7 IN (0, 1)),
    female_staff              INTEGER NOT NULL CHECK (female_staff IN (0, 1)),
    child_friendly            INTEGER NOT NULL CHECK (child_friendly IN (0, 1)),
    wheelchair_access         INTEGER NOT NULL CHECK (wheelchair_access IN (0, 1)),
    free_of_charge            INTEGER NOT NULL CHECK (free_of_charge IN (0, 1)),
    no_police_report_required INTEGER NOT NULL CHECK (no_police_report_required IN (0, 1)),
    country                   TEXT NOT NULL CHECK (length(country) = 2 AND country NOT GLOB '*[^A-Z]*'),
    region                    TEXT CHECK (length(region) BETWEEN 1 AND 64 AND region NOT GLOB '*[^A-Za-z0-9._-]*'),
    district                  TEXT CHECK (length(district) BETWEEN 1 AND 64 AND district NOT GLOB '*[^A-Za-z0-9._-]*'),
    recorded_on               TEXT NOT NULL CHECK (length(recorded_on) = 10 AND recorded_on GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    demo                      INTEGER NOT NULL CHECK (demo IN (0, 1))
);
CREATE INDEX unmet_needs_organisation ON unmet_needs (organisation);
