-- Notifications that cannot be flooded (internal/notifications). A notice sent
-- with a coalescing key (a group's requests, to each of its managers) updates
-- the recipient's unread notice of that key, counting it in sent_count,
-- instead of adding a row: the partial unique index keeps one unread row per
-- key. A security notice (a character moved or removed, accounts merged, a
-- token gone invalid) is never dropped to make room while it is unread.
-- +goose Up
ALTER TABLE notifications ADD COLUMN security BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE notifications ADD COLUMN coalesce_key TEXT NOT NULL DEFAULT '';
ALTER TABLE notifications ADD COLUMN sent_count INTEGER NOT NULL DEFAULT 1;
CREATE UNIQUE INDEX notifications_coalesce ON notifications (account_id, coalesce_key)
    WHERE read_at IS NULL AND coalesce_key <> '';

-- +goose Down
DROP INDEX notifications_coalesce;
ALTER TABLE notifications DROP COLUMN sent_count;
ALTER TABLE notifications DROP COLUMN coalesce_key;
ALTER TABLE notifications DROP COLUMN security;
