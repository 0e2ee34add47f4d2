package pings

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/keepstar/keepstar/internal/store"
)

// Group is a group as a ping names it: by id, and by its name then.
type Group struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Ping is a recorded ping with its deliveries.
type Ping struct {
	ID         int64
	SenderID   int64
	SenderName string
	Groups     []Group
	Message    string
	CreatedAt  time.Time
	Deliveries []Delivery
}

// The kinds of a delivery: to the members of the groups one by one, or in
// a channel.
const (
	KindMembers = "members"
	KindChannel = "channel"
)

// The statuses of a delivery.
const (
	StatusQueued  = "queued"
	StatusSending = "sending"
	StatusSent    = "sent"
	StatusFailed  = "failed"
)

// Delivery is a ping's sending over one service instance.
type Delivery struct {
	ID         int64
	PingID     int64
	InstanceID int64 // 0 once the instance is deleted
	Instance   string
	Kind       string
	Status     string
	Recipients int
	Delivered  int
	Failed     int
	Error      string
	DoneAt     time.Time
}

// errNoDelivery: a job names a delivery that no longer exists.
var errNoDelivery = errors.New("pings: no such delivery")

// insertPing records a ping and its deliveries (their ids filled in).
func insertPing(ctx context.Context, tx *store.Tx, p *Ping) error {
	groups, err := json.Marshal(p.Groups)
	if err != nil {
		return fmt.Errorf("pings: groups: %w", err)
	}
	if err := tx.QueryRow(ctx, `INSERT INTO pings (sender_id, sender_name, groups, message, created_at) VALUES ($1, $2, $3, $4, $5)
		RETURNING id`, p.SenderID, p.SenderName, string(groups), p.Message, p.CreatedAt).Scan(&p.ID); err != nil {
		return fmt.Errorf("pings: record: %w", err)
	}
	for i := range p.Deliveries {
		d := &p.Deliveries[i]
		d.PingID, d.Status = p.ID, StatusQueued
		if err := tx.QueryRow(ctx, `INSERT INTO ping_deliveries (ping_id, instance_id, instance_name, kind, status, recipients,
			delivered, failed, error) VALUES ($1, $2, $3, $4, 'queued', 0, 0, 0, '') RETURNING id`,
			p.ID, d.InstanceID, d.Instance, d.Kind).Scan(&d.ID); err != nil {
			return fmt.Errorf("pings: record delivery: %w", err)
		}
	}
	return nil
}

const deliveryColumns = `id, ping_id, COALESCE(instance_id, 0), instance_name, kind, status, recipients, delivered, failed, error, done_at`

func scanDelivery(rows store.Row, d *Delivery) error {
	var done *time.Time
	if err := rows.Scan(&d.ID, &d.PingID, &d.InstanceID, &d.Instance, &d.Kind, &d.Status, &d.Recipients, &d.Delivered,
		&d.Failed, &d.Error, &done); err != nil {
		return err
	}
	if done != nil {
		d.DoneAt = *done
	}
	return nil
}

// delivery reads a delivery with its ping.
func delivery(ctx context.Context, q store.Querier, id int64) (Ping, Delivery, error) {
	var d Delivery
	err := scanDelivery(q.QueryRow(ctx, `SELECT `+deliveryColumns+` FROM ping_deliveries WHERE id = $1`, id), &d)
	if errors.Is(err, store.ErrNoRows) {
		return Ping{}, d, fmt.Errorf("%w: %d", errNoDelivery, id)
	}
	if err != nil {
		return Ping{}, d, fmt.Errorf("pings: delivery %d: %w", id, err)
	}
	list, err := history(ctx, q, `p.id = $1`, 1, d.PingID)
	if err != nil {
		return Ping{}, d, err
	}
	if len(list) == 0 {
		return Ping{}, d, fmt.Errorf("%w: ping %d", errNoDelivery, d.PingID)
	}
	return list[0], d, nil
}

// start marks a queued delivery as being sent; ok is false when it is not
// queued (sent already, or a send interrupted).
func start(ctx context.Context, q store.Querier, id int64) (ok bool, err error) {
	n, err := q.Exec(ctx, `UPDATE ping_deliveries SET status = 'sending' WHERE id = $1 AND status = 'queued'`, id)
	if err != nil {
		return false, fmt.Errorf("pings: start delivery %d: %w", id, err)
	}
	return n == 1, nil
}

// finish records what a delivery did.
func finish(ctx context.Context, q store.Querier, d Delivery) error {
	if _, err := q.Exec(ctx, `UPDATE ping_deliveries SET status = $2, recipients = $3, delivered = $4, failed = $5, error = $6,
		done_at = $7 WHERE id = $1`, d.ID, d.Status, d.Recipients, d.Delivered, d.Failed, d.Error, d.DoneAt); err != nil {
		return fmt.Errorf("pings: record delivery %d: %w", d.ID, err)
	}
	return nil
}

// history lists pings, newest first, at most limit, with their deliveries.
func history(ctx context.Context, q store.Querier, where string, limit int, args ...any) ([]Ping, error) {
	query := `SELECT p.id, p.sender_id, p.sender_name, p.groups, p.message, p.created_at FROM pings p`
	if where != "" {
		query += ` WHERE ` + where
	}
	query += fmt.Sprintf(` ORDER BY p.created_at DESC, p.id DESC LIMIT %d`, limit)
	list, err := store.Collect(ctx, q, query, func(rows store.Rows, p *Ping) error {
		var groups string
		if err := rows.Scan(&p.ID, &p.SenderID, &p.SenderName, &groups, &p.Message, &p.CreatedAt); err != nil {
			return err
		}
		return json.Unmarshal([]byte(groups), &p.Groups)
	}, args...)
	if err != nil {
		return nil, fmt.Errorf("pings: history: %w", err)
	}
	if len(list) == 0 {
		return list, nil
	}
	byID := make(map[int64]*Ping, len(list))
	ids := make([]int64, 0, len(list))
	for i := range list {
		byID[list[i].ID] = &list[i]
		ids = append(ids, list[i].ID)
	}
	for in, args := range store.InChunks(ids) {
		err := store.Each(ctx, q, `SELECT `+deliveryColumns+` FROM ping_deliveries WHERE ping_id IN (`+in+`) ORDER BY id`,
			func(rows store.Rows) error {
				var d Delivery
				if err := scanDelivery(rows, &d); err != nil {
					return err
				}
				byID[d.PingID].Deliveries = append(byID[d.PingID].Deliveries, d)
				return nil
			}, args...)
		if err != nil {
			return nil, fmt.Errorf("pings: history: %w", err)
		}
	}
	return list, nil
}

// The groups' tables are read here directly, for two small lists and the
// recipients: the groups package's own listing loads every relation of
// every group, which a ping needs none of.

// allGroups lists every group, by name.
func allGroups(ctx context.Context, q store.Querier) ([]Group, error) {
	list, err := store.Collect(ctx, q, `SELECT id, name FROM groups ORDER BY lower(name), id`,
		func(rows store.Rows, g *Group) error { return rows.Scan(&g.ID, &g.Name) })
	if err != nil {
		return nil, fmt.Errorf("pings: groups: %w", err)
	}
	return list, nil
}

// groupsOf lists the groups an account is a member of, by name.
func groupsOf(ctx context.Context, q store.Querier, accountID int64) ([]Group, error) {
	list, err := store.Collect(ctx, q, `SELECT g.id, g.name FROM groups g JOIN group_members m ON m.group_id = g.id
		WHERE m.account_id = $1 ORDER BY lower(g.name), g.id`,
		func(rows store.Rows, g *Group) error { return rows.Scan(&g.ID, &g.Name) }, accountID)
	if err != nil {
		return nil, fmt.Errorf("pings: groups of %d: %w", accountID, err)
	}
	return list, nil
}

// members lists the accounts in any of the groups, each once, by id.
func members(ctx context.Context, q store.Querier, groups []Group) ([]int64, error) {
	ids := make([]int64, len(groups))
	for i, g := range groups {
		ids[i] = g.ID
	}
	if len(ids) == 0 {
		return nil, nil
	}
	in, args := store.In(ids)
	out, err := store.Column[int64](ctx, q, `SELECT DISTINCT account_id FROM group_members WHERE group_id IN (`+in+`) ORDER BY account_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("pings: members: %w", err)
	}
	return out, nil
}

// mergeAccounts gives the winner of a merge the pings the loser sent.
func mergeAccounts(ctx context.Context, q store.Querier, winner, loser int64) error {
	if _, err := q.Exec(ctx, `UPDATE pings SET sender_id = $1 WHERE sender_id = $2`, winner, loser); err != nil {
		return fmt.Errorf("pings: merge %d into %d: %w", loser, winner, err)
	}
	return nil
}
