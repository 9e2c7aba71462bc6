-- The non-identifying referral log and the unmet-needs log (GBVIMS: only
-- non-identifying data leave the agency that holds the case). No column can hold a
-- name, a birth date, a case number, free text or a place finer than a district: ids
-- and codes are checked for their shape, vocabularies are closed lists, filters are
-- bit masks, dates are days (no time of day). The audit log keeps its own times.

CREATE TABLE referrals (
    id                BIGSERIAL PRIMARY KEY,
    from_organisation TEXT NOT NULL REFERENCES organisations (id),
    to_facility       TEXT NOT NULL CHECK (to_facility ~ '^[A-Za-z0-9._:-]{1,128}$'),
    to_organisation   TEXT NOT NULL REFERENCES organisations (id),
    sector            TEXT NOT NULL CHECK (sector IN ('health', 'psychosocial', 'police', 'shelter',
                                           'legal', 'hotline', 'perpetrator_programme')),
    made_on           TEXT NOT NULL CHECK (made_on ~ '^[0-9]{4}-[0-1][0-9]-[0-3][0-9]$'),
    consent_to_share  BOOLEAN NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('made', 'accepted', 'service_provided', 'declined', 'no_show')),
    decline_reason    TEXT CHECK (decline_reason IN ('not_eligible', 'no_capacity', 'outside_area',
                                                     'survivor_withdrew', 'referred_elsewhere', 'other')),
    accepted_on       TEXT CHECK (accepted_on ~ '^[0-9]{4}-[0-1][0-9]-[0-3][0-9]$'),
    closed_on         TEXT CHECK (closed_on ~ '^[0-9]{4}-[0-1][0-9]-[0-3][0-9]$'),
    country           TEXT NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    region            TEXT CHECK (region ~ '^[A-Za-z0-9._-]{1,64}$'),
    district          TEXT CHECK (district ~ '^[A-Za-z0-9._-]{1,64}$'),
    demo              BOOLEAN NOT NULL,
    CHECK ((status = 'declined') = (decline_reason IS NOT NULL))
);
CREATE INDEX referrals_from ON referrals (from_organisation);
CREATE INDEX referrals_to ON referrals (to_organisation);

CREATE TABLE unmet_needs (
    id                        BIGSERIAL PRIMARY KEY,
    organisation              TEXT NOT NULL REFERENCES organisations (id),
    sector                    TEXT NOT NULL CHECK (sector IN ('health', 'psychosocial', 'police', 'shelter',
                                                   'legal', 'hotline', 'perpetrator_programme')),
    services                  BIGINT NOT NULL CHECK (services BETWEEN 0 AND 65535),   -- bit mask
    languages                 BIGINT NOT NULL CHECK (languages BETWEEN 0 AND 65535),  -- bit mask
    open_24_7                 BOOLEAN NOT NULL,
    female_staff              BOOLEAN NOT NULL,
    child_friendly            BOOLEAN NOT NULL,
    wheelchair_access         BOOLEAN NOT NULL,
    free_of_charge            BOOLEAN NOT NULL,
    no_police_report_required BOOLEAN NOT NULL,
    country                   TEXT NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    region                    TEXT CHECK (region ~ '^[A-Za-z0-9._-]{1,64}$'),
    district                  TEXT CHECK (district ~ '^[A-Za-z0-9._-]{1,64}$'),
    recorded_on               TEXT NOT NULL CHECK (recorded_on ~ '^[0-9]{4}-[0-1][0-9]-[0-3][0-9]$'),
    demo                      BOOLEAN NOT NULL
);
CREATE INDEX unmet_needs_organisation ON unmet_needs (organisation);
