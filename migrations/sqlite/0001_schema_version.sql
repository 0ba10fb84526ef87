-- The schema version of ringway's data provider, one row. Later migrations add users, groups, folders,
-- admins, API keys and roles, and bump the version.
CREATE TABLE IF NOT EXISTS schema_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO schema_version (id, version) VALUES (1, 1) ON CONFLICT (id) DO NOTHING;
