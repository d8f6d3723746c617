-- 093: where the database stands in its home's journal (common/journal.h).
--
-- The journal, a file in the home, records every input that reaches the
-- figures; `bizenv rebuild` replays it into an empty database. Each group
-- of journal lines describes one transaction, which records here, before
-- it commits, that it is the last group applied (txn). A command that finds
-- the journal's last group without its commit line (the writer was killed
-- between the two) asks this row whether it committed. The fingerprints of
-- the weights, settings and registries as the journal last recorded them
-- tell a later run that someone changed them outside bizenv (a direct
-- UPDATE), which the journal would otherwise not know; the next night
-- says so (unreported: found by another command in between). `rebuilding` marks
-- a database that `bizenv rebuild` has not finished, so a rerun after a
-- kill goes on from txn instead of refusing a database that is not empty.
CREATE TABLE meta.journal_state (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    journal_id  text NOT NULL CHECK (journal_id ~ '^[0-9a-f]{32}$'),
    txn         bigint NOT NULL DEFAULT 0 CHECK (txn >= 0),
    weights     text,
    settings    text,
    townships   text,
    counties    text,
    rebuilding  boolean NOT NULL DEFAULT false,
    unreported  text NOT NULL DEFAULT '',
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE meta.journal_state IS
    'the journal group last committed (txn) of the home''s journal (journal_id), and fingerprints of the weights, settings and registries as the journal last recorded them; one row';
COMMENT ON COLUMN meta.journal_state.unreported IS
    'what a command found changed outside bizenv (and recorded in the journal) that no night has reported yet';
COMMENT ON COLUMN meta.journal_state.rebuilding IS
    'true while bizenv rebuild has not finished replaying the journal into this database';

GRANT SELECT, INSERT, UPDATE ON meta.journal_state TO bizenv_loader;
