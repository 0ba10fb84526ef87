-- ringway data provider, schema version 2 (postgresql): tokens revoked by /logout, kept until they expire so that a
-- restart or another node sharing this database does not accept them again.
CREATE TABLE IF NOT EXISTS {{prefix}}revoked_tokens (
    jti VARCHAR(64) NOT NULL PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
