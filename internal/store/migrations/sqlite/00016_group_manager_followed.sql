-- group-manager follows the managers of groups (internal/access, Followed):
-- read with an account's rights, never stored, as Neucore syncs it. A
-- group-manager given by hand before granted nothing; it goes.
-- +goose Up
DELETE FROM account_roles WHERE role = 'group-manager';

-- +goose Down
SELECT 1;
