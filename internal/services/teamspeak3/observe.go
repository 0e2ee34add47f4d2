package teamspeak3

import (
	"context"
	"errors"
	"slices"

	"github.com/keepstar/keepstar/internal/services"
)

// Observe implements services.Observer, for verification. A pending
// account is looked for (a key redeemed since shows its groups, so the
// sync that follows finds it with the ids already in State); its key, when
// older than the instance's key lifetime, is deleted and a new one issued
// (State carries it, and the Services page shows the new link). A found
// account's groups are read back: the regular ones but the default and
// the member group, one command each; a client record deleted on the server is Gone. TeamSpeak
// nicknames are the member's own, so the name always reads as applied.
func (k *Connector) Observe(ctx context.Context, accts []services.Account) ([]services.Observation, error) {
	out := make([]services.Observation, len(accts))
	for i, a := range accts {
		o, err := k.observe(ctx, a)
		if err != nil {
			return nil, classify(ctx, err)
		}
		out[i] = o
	}
	return out, nil
}

func (k *Connector) observe(ctx context.Context, a services.Account) (services.Observation, error) {
	st, err := parseState(a.State)
	if err != nil {
		return services.Observation{}, err
	}
	o := services.Observation{Name: a.Name, Groups: a.Groups, State: a.State}
	if st.CLDBID == 0 {
		found, _, ok, err := k.find(ctx, a.ExternalID)
		if err != nil {
			return o, err
		}
		if !ok {
			if st.Key == "" || k.now().Sub(st.KeyAt) < k.keyTTL {
				return o, nil
			}
			if err := k.deleteKey(ctx, a.ExternalID, st.Key); err != nil {
				return o, err
			}
			fresh, err := k.issueKey(ctx, a.ExternalID, a.Name)
			if err != nil {
				return o, err
			}
			k.logger.InfoContext(ctx, "teamspeak3: privilege key reissued", "handle", a.ExternalID, "after", k.keyTTL)
			o.State = fresh.String()
			return o, nil
		}
		st = found
		o.State = st.String()
	}
	l, err := k.groups.current(ctx)
	if err != nil {
		return o, err
	}
	items, err := k.q.Exec(ctx, Cmd("servergroupsbyclientid", "cldbid", st.CLDBID))
	if errors.Is(err, ErrEmptyResult) {
		return services.Observation{Gone: true}, nil
	}
	if err != nil {
		return o, err
	}
	o.Groups = []string{}
	for _, it := range items {
		id, err := it.Int("sgid")
		if err != nil {
			return o, err
		}
		if _, known := l.byID[id]; !known {
			if l, err = k.groups.refresh(ctx, l); err != nil {
				return o, err
			}
		}
		// The member group is Keepstar's own mark, not one of the
		// Want's groups, unless the mapping names it too.
		if name := l.byID[id].name; l.manageable(id) && (name != k.member || slices.Contains(a.Groups, name)) {
			o.Groups = append(o.Groups, name)
		}
	}
	slices.Sort(o.Groups)
	return o, nil
}
