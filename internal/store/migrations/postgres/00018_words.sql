-- The built-in EVE logins' descriptions as installed were English for
-- every reader: an empty description now shows Keepstar's own, in the
-- reader's language (internal/eve/logins, Login.DescriptionID). A
-- description an administrator wrote stays as written.
-- +goose Up
UPDATE eve_logins SET description = '' WHERE name = 'core.default' AND description = 'The account login: logging in and adding characters.';
UPDATE eve_logins SET description = '' WHERE name = 'core.no-scopes' AND description = 'Guest login that asks for no scopes; its token is kept as the core.default token unless a valid one exists.';
UPDATE eve_logins SET description = '' WHERE name = 'core.tracking' AND description = 'Director tokens for corporation member tracking.';
UPDATE eve_logins SET description = '' WHERE name = 'core.mail' AND description = 'The character that sends EVE mail for Keepstar.';

-- +goose Down
UPDATE eve_logins SET description = 'The account login: logging in and adding characters.' WHERE name = 'core.default' AND description = '';
UPDATE eve_logins SET description = 'Guest login that asks for no scopes; its token is kept as the core.default token unless a valid one exists.' WHERE name = 'core.no-scopes' AND description = '';
UPDATE eve_logins SET description = 'Director tokens for corporation member tracking.' WHERE name = 'core.tracking' AND description = '';
UPDATE eve_logins SET description = 'The character that sends EVE mail for Keepstar.' WHERE name = 'core.mail' AND description = '';
