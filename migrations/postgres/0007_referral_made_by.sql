-- Who recorded a referral: the account's user name (staff data, never the survivor's),
-- so that a caseworker can list the referrals she made herself, to follow them up. A
-- user name has the shape of an id (1–64 of a-z 0-9 . _ -), so the column cannot hold
-- a sentence either. Nullable: demo referrals and those recorded before this column
-- have none.

ALTER TABLE referrals ADD COLUMN made_by TEXT CHECK (made_by ~ '^[a-z0-9._-]{1,64}$');
CREATE INDEX referrals_made_by ON referrals (from_organisation, made_by);
