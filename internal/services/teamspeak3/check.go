package teamspeak3

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/store"
)

// accountCounter counts an instance's service accounts, for the advice on
// the allowlist.
type accountCounter interface {
	count(ctx context.Context, instanceID int64) (int, error)
}

type dbCounter struct{ db *store.DB }

func (c dbCounter) count(ctx context.Context, instanceID int64) (int, error) {
	var n int
	err := c.db.QueryRow(ctx, `SELECT COUNT(*) FROM service_accounts WHERE instance_id = $1`, instanceID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("teamspeak3: count accounts: %w", err)
	}
	return n, nil
}

// slowResync is how long a full resync may take within the anti-flood rule
// before Check advises the allowlist.
const slowResync = 10 * time.Minute

// Check implements services.Checker: whether Keepstar can log in and
// select the virtual server, whether the member group and the managed
// groups exist as regular groups, whether the SSH host key is pinned, and
// whether a resync of every account within the anti-flood rule takes so
// long that the server's allowlist is the better way.
func (k *Connector) Check(ctx context.Context, managed []string) ([]services.Problem, error) {
	_, err := k.q.Exec(ctx, Cmd("whoami"))
	// Within the backoff after a failed attempt, that attempt's error
	// says what is wrong (the errors below match through it).
	switch {
	case errors.Is(err, ErrInvalidLogin):
		return []services.Problem{{Message: "services.teamspeak3.problem.login"}}, nil
	case errors.Is(err, ErrAPIKey):
		return []services.Problem{{Message: "services.teamspeak3.problem.api_key"}}, nil
	case errors.Is(err, ErrInvalidServerID):
		return []services.Problem{{Message: "services.teamspeak3.problem.server"}}, nil
	case errors.Is(err, ErrHostKey):
		return []services.Problem{{Message: "services.teamspeak3.problem.host_key_changed"}}, nil
	case errors.Is(err, ErrBanned), errors.Is(err, ErrFloodBan):
		return []services.Problem{{Message: "services.teamspeak3.problem.banned"}}, nil
	case err != nil:
		return nil, classify(ctx, err)
	}
	var ps []services.Problem
	if k.hostKeys != nil && k.hostKeys.Pinned == "" {
		ps = append(ps, services.Problem{Message: "services.teamspeak3.problem.host_key_unpinned",
			Args: map[string]any{"Fingerprint": k.hostKeys.Seen()}})
	}
	l, err := k.groups.refresh(ctx, nil)
	if err != nil {
		return nil, classify(ctx, err)
	}
	if g, ok := l.byName[k.member]; !ok || g.id == l.defaultID {
		ps = append(ps, services.Problem{Message: "services.teamspeak3.problem.member_group", Args: map[string]any{"Group": k.member}})
	}
	for _, name := range managed {
		if _, ok := l.byName[name]; !ok {
			ps = append(ps, services.Problem{Message: "services.teamspeak3.problem.group_missing", Args: map[string]any{"Group": name}})
		}
	}
	if !k.allowlist && k.db != nil {
		n, err := k.db.count(ctx, k.instanceID)
		if err != nil {
			return nil, err
		}
		// A resync reads each account's groups and changes some: two
		// commands each, within 10 per 3 seconds.
		if d := time.Duration(2*n/FloodCommands) * FloodWindow; d > slowResync {
			ps = append(ps, services.Problem{Message: "services.teamspeak3.problem.allowlist",
				Args: map[string]any{"Accounts": n, "Minutes": int(d.Minutes())}})
		}
	}
	return ps, nil
}
