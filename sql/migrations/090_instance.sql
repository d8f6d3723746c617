-- 090: which home a database belongs to, and what read-only users may
-- know about the schema.
--
-- A home ($BIZENV_HOME) and its database keep the same instance id: a
-- random 128-bit value written once, in the home's bizenv.id file and in
-- the one row of meta.instance (load/instance.c). A night that finds its
-- home's history paired with a database of another id, or with an empty
-- one, refuses instead of carrying on with run numbers from 1 and no
-- rankings. The row is written by bizenv after the migrations (or adopted
-- from the home), never by this file: a database migrated here has no id
-- until a bizenv command that writes has checked it against its home.
CREATE TABLE meta.instance (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    id          text NOT NULL CHECK (id ~ '^[0-9a-f]{32}$'),
    recorded_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE meta.instance IS 'the instance id this database shares with its bizenv home (file bizenv.id there); one row';
COMMENT ON COLUMN meta.instance.id IS '128 random bits, lowercase hex; never changed once written';

-- Read-only commands (bizenv rank, bizenv runs) do not migrate: they check
-- that the schema is the one the binary expects — the migrations in
-- meta.migration, the definition files' checksums in meta.definition_file
-- (load/migrate.c's migrate_check) — and that the database is their
-- home's. An analyst may read these, and nothing else of meta. The runner
-- makes meta.migration and meta.definition_file before any migration runs.
GRANT USAGE ON SCHEMA meta TO bizenv_analyst;
GRANT SELECT ON meta.migration, meta.definition_file, meta.instance TO bizenv_analyst;
