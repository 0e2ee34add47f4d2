-- EVE mail (internal/apps/evemail), Neucore's mail notifications. The
-- sender is the character whose core.mail token sends (one row; it is also
-- the lock every process takes to count the mails of the last minute). Every
-- mail queued is kept with what became of it (the send log). Accounts sent
-- the invalid-token mail are flagged until all their tokens are valid again;
-- members sent the missing-character mail keep when and how often.
-- +goose Up
CREATE TABLE evemail_sender (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    character_id   INTEGER,                 -- NULL: none chosen
    character_name TEXT NOT NULL,
    changed_by     INTEGER,
    changed_at     TIMESTAMP
);
INSERT INTO evemail_sender (id, character_id, character_name) VALUES (1, NULL, '');

CREATE TABLE evemail_mails (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    kind           TEXT NOT NULL CHECK (kind IN ('invalid_token', 'missing_character', 'test')),
    account_id     INTEGER,                 -- the account an invalid-token mail is for
    recipient_id   INTEGER NOT NULL,
    recipient_name TEXT NOT NULL,
    subject        TEXT NOT NULL,
    body           TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'refused_cspa')),
    error          TEXT NOT NULL,
    eve_mail_id    INTEGER,
    sender_id      INTEGER,
    created_at     TIMESTAMP NOT NULL,
    attempted_at   TIMESTAMP,               -- a send begun: what the limit counts
    done_at        TIMESTAMP
);
CREATE INDEX evemail_mails_created ON evemail_mails (created_at);
CREATE INDEX evemail_mails_attempted ON evemail_mails (attempted_at);

CREATE TABLE evemail_invalid_token (
    account_id INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    mail_id    INTEGER NOT NULL,
    sent_at    TIMESTAMP NOT NULL
);

CREATE TABLE evemail_missing_character (
    character_id INTEGER PRIMARY KEY,
    mail_id      INTEGER NOT NULL,
    sent_at      TIMESTAMP NOT NULL,
    count        INTEGER NOT NULL
);

-- +goose Down
DROP TABLE evemail_missing_character;
DROP TABLE evemail_invalid_token;
DROP TABLE evemail_mails;
DROP TABLE evemail_sender;
