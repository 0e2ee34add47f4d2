package groups

import (
	"context"
	"fmt"
	"slices"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/store"
)

// Offer is a group as a member sees it on the groups page.
type Offer struct {
	Group
	Member bool
	// Pending is "join" or "leave" while a request waits.
	Pending string
	// Refusal says why the member may not join; empty when they may.
	Refusal  access.Refusal
	Leavable bool
}

// ForMember lists the groups a member sees: the groups they are in or
// asked for, and every group that is neither internal nor hidden. A hidden
// group is found by its own link (Hidden gives it, whatever its flags).
func (s *Store) ForMember(ctx context.Context, a Actor) ([]Offer, error) {
	cfg, facts, res, err := s.recompute.Account(ctx, a.AccountID)
	if err != nil {
		return nil, err
	}
	all, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	pending, err := s.pendingOf(ctx, a.AccountID)
	if err != nil {
		return nil, err
	}
	var out []Offer
	for _, g := range all {
		o := s.offer(cfg, facts, res, g, pending[g.ID], a)
		if o.Member || o.Pending != "" || !g.Internal && !g.Hidden {
			out = append(out, o)
		}
	}
	return out, nil
}

// Hidden gives one group as a member sees it, for the link of a hidden
// group; internal groups are not found.
func (s *Store) Hidden(ctx context.Context, a Actor, groupID int64) (Offer, error) {
	g, err := s.Get(ctx, groupID)
	if err != nil {
		return Offer{}, err
	}
	cfg, facts, res, err := s.recompute.Account(ctx, a.AccountID)
	if err != nil {
		return Offer{}, err
	}
	pending, err := s.pendingOf(ctx, a.AccountID)
	if err != nil {
		return Offer{}, err
	}
	o := s.offer(cfg, facts, res, g, pending[g.ID], a)
	if g.Internal && !o.Member {
		return Offer{}, fmt.Errorf("%w: %d", ErrNotFound, groupID)
	}
	return o, nil
}

func (s *Store) offer(cfg *access.Config, facts access.Facts, res access.Result, g Group, pending string, a Actor) Offer {
	o := Offer{Group: g, Member: slices.Contains(res.Groups, g.ID), Pending: pending}
	if o.Member {
		o.Leavable = !g.Automatic() && !g.Default && (g.Guard() == access.Unguarded || a.Superuser)
	} else {
		o.Refusal = cfg.MayJoin(facts, res, g.ID, a.Superuser)
		if g.Internal {
			o.Refusal = access.RefusedInternal
		}
	}
	return o
}

// pendingOf gives an account's pending requests, by group.
func (s *Store) pendingOf(ctx context.Context, accountID int64) (map[int64]string, error) {
	out := map[int64]string{}
	err := store.Each(ctx, s.db, `SELECT group_id, kind FROM group_requests WHERE account_id = $1 AND status = 'pending'`, func(rows store.Rows) error {
		var g int64
		var kind string
		err := rows.Scan(&g, &kind)
		out[g] = kind
		return err
	}, accountID)
	if err != nil {
		return nil, fmt.Errorf("groups: requests: %w", err)
	}
	return out, nil
}
