-- EVE SSO tokens, one per character and EVE login (a named SSO
-- configuration such as core.default). Both tokens are sealed with
-- internal/secrets, bound to their row; nothing here is plain text.
-- version grows on every write: processes sharing the database refresh with
-- compare-and-swap on it. lease_until is set while one process refreshes,
-- so the others wait for its answer instead of spending a rotated token.
-- +goose Up
CREATE TABLE eve_tokens (
    character_id          BIGINT NOT NULL,
    login                 TEXT NOT NULL,
    refresh_token_sealed  TEXT NOT NULL,
    access_token_sealed   TEXT NOT NULL,
    access_expires_at     TIMESTAMPTZ NOT NULL,
    scopes                TEXT NOT NULL,
    owner_hash            TEXT NOT NULL,
    previous_owner_hash   TEXT,
    character_name        TEXT NOT NULL,
    validity              TEXT NOT NULL CHECK (validity IN ('valid', 'invalid')),
    version               BIGINT NOT NULL,
    lease_until           TIMESTAMPTZ,
    checked_at            TIMESTAMPTZ NOT NULL,
    invalid_since         TIMESTAMPTZ,
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (character_id, login)
);

-- +goose Down
DROP TABLE eve_tokens;
