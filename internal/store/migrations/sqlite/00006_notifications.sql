-- Notifications to members (internal/notifications). A notification sent by
-- Keepstar itself names message ids and their arguments, so that it shows in
-- the reader's language; title and message hold plain text otherwise.
-- +goose Up
CREATE TABLE notifications (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  INTEGER NOT NULL REFERENCES accounts (id),
    level       TEXT NOT NULL CHECK (level IN ('info', 'success', 'warning', 'danger')),
    title       TEXT NOT NULL,
    message     TEXT NOT NULL,
    title_key   TEXT NOT NULL,
    message_key TEXT NOT NULL,
    args        TEXT NOT NULL,              -- JSON object of the messages' arguments
    created_at  TIMESTAMP NOT NULL,
    read_at     TIMESTAMP
);
CREATE INDEX notifications_account ON notifications (account_id, created_at);
CREATE INDEX notifications_unread ON notifications (account_id) WHERE read_at IS NULL;

-- +goose Down
DROP TABLE notifications;
