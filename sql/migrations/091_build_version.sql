-- 091: the bizenv build that made each run and each export, as
-- `bizenv --version` names it ("0.2.0 (v0.1.0-5-gb44802b)"), so a published
-- file names the build that made it (its SHA-256 is in meta.export_file).
-- Rows written before this migration keep NULL: not recorded.

ALTER TABLE meta.run ADD COLUMN build_version text;
ALTER TABLE meta.export ADD COLUMN build_version text;
COMMENT ON COLUMN meta.run.build_version IS 'bizenv version and build that ran (bizenv --version); NULL before migration 091';
COMMENT ON COLUMN meta.export.build_version IS 'bizenv version and build that wrote the files (bizenv --version); NULL before migration 091';
