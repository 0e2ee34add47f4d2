package teamspeak3

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/keepstar/keepstar/internal/services"
)

// Apply implements services.Connector. An account whose key is not
// redeemed yet is looked for by its custom field; not found, it stays
// pending (no error: verification looks again and a sync follows when the
// member joined). Found, its database and unique ids go in State and it is
// never searched again. Its groups are then read once and only the
// difference sent: wanted groups added, the others Keepstar manages
// removed (never the default group, non-regular groups or those want
// keeps). 2561 (already a member) and 2563 (not a member) are success.
func (k *Connector) Apply(ctx context.Context, acct services.Account, want services.Want) (services.Account, error) {
	next, err := k.apply(ctx, acct, want)
	return next, classify(ctx, err)
}

func (k *Connector) apply(ctx context.Context, acct services.Account, want services.Want) (services.Account, error) {
	st, err := parseState(acct.State)
	if err != nil {
		return acct, err
	}
	next := acct
	if st.CLDBID == 0 {
		found, nick, ok, err := k.find(ctx, acct.ExternalID)
		if err != nil || !ok {
			return acct, err
		}
		st, next.ExternalName = found, nick
		k.logger.InfoContext(ctx, "teamspeak3: privilege key redeemed", "handle", acct.ExternalID, "cldbid", st.CLDBID)
	}
	if err := k.reconcile(ctx, st.CLDBID, want); err != nil {
		return acct, err
	}
	next.State = st.String()
	return next, nil
}

// reconcile makes a client's server groups what want says.
func (k *Connector) reconcile(ctx context.Context, cldbid int, want services.Want) error {
	l, err := k.groups.current(ctx)
	if err != nil {
		return err
	}
	// The member group is every member's while they have access: the key
	// gave it, and it stays.
	names := append(want.Groups[:len(want.Groups):len(want.Groups)], k.member)
	l, wanted, missing, err := k.groups.resolve(ctx, l, names)
	if err != nil {
		return err
	}
	items, err := k.q.Exec(ctx, Cmd("servergroupsbyclientid", "cldbid", cldbid))
	if errors.Is(err, ErrEmptyResult) {
		// Every client record has a group, the default one at least:
		// none is no record.
		return fmt.Errorf("%w: client %d", services.ErrGone, cldbid)
	}
	if err != nil {
		return err
	}
	current := map[int]string{}
	for _, it := range items {
		id, err := it.Int("sgid")
		if err != nil {
			return err
		}
		current[id] = it["name"]
		if _, known := l.byID[id]; !known {
			// Made on the server since the list was read.
			if l, err = k.groups.refresh(ctx, l); err != nil {
				return err
			}
		}
	}
	for _, id := range wanted {
		if _, ok := current[id]; ok {
			continue
		}
		if err := k.add(ctx, cldbid, id, l); err != nil {
			return err
		}
	}
	for id, name := range current {
		if !l.manageable(id) || slices.Contains(wanted, id) || (want.Keep != nil && want.Keep(l.byID[id].name)) {
			continue
		}
		_, err := k.q.Exec(ctx, Cmd("servergroupdelclient", "sgid", id, "cldbid", cldbid))
		switch {
		case errors.Is(err, ErrNotInGroup), errors.Is(err, ErrInvalidGroup):
			// Taken out, or the group deleted, since it was read.
		case errors.Is(err, ErrDefaultGroup):
			// Not retried: it is the default group, made so since the list
			// was read, which is read again so that no sync tries again.
			k.logger.WarnContext(ctx, "teamspeak3: the server refused to remove its default group", "group", name)
			if l, err = k.groups.refresh(ctx, l); err != nil {
				return err
			}
		case errors.Is(err, ErrInvalidClientID):
			return fmt.Errorf("%w: client %d", services.ErrGone, cldbid)
		case err != nil:
			return err
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %s (make it on the server, or map the Keepstar group to another name)",
			errGroupMissing, strings.Join(missing, ", "))
	}
	return nil
}

// add puts a client in a group; a group deleted since the list was read
// (2560) reads the list again and, if one of the same name exists now,
// tries that once.
func (k *Connector) add(ctx context.Context, cldbid, id int, l *groupList) error {
	_, err := k.q.Exec(ctx, Cmd("servergroupaddclient", "sgid", id, "cldbid", cldbid))
	if errors.Is(err, ErrInvalidGroup) {
		name := l.byID[id].name
		if l, err = k.groups.refresh(ctx, l); err != nil {
			return err
		}
		g, ok := l.byName[name]
		if !ok {
			return fmt.Errorf("%w: %s", errGroupMissing, name)
		}
		_, err = k.q.Exec(ctx, Cmd("servergroupaddclient", "sgid", g.id, "cldbid", cldbid))
	}
	switch {
	case errors.Is(err, ErrAlreadyInGroup):
		return nil
	case errors.Is(err, ErrInvalidClientID):
		return fmt.Errorf("%w: client %d", services.ErrGone, cldbid)
	}
	return err
}

// kickReason is what a kicked member reads (the server takes 40
// characters at most).
const kickReason = "Access removed by Keepstar"

// Remove implements services.Connector: a pending key is deleted; a
// client found (now or before) is kicked from the server and its client
// record deleted, with every server group it had (Alliance Auth does the
// same; decision 0031 says why rather than only taking the groups away).
func (k *Connector) Remove(ctx context.Context, acct services.Account) error {
	return classify(ctx, k.remove(ctx, acct))
}

func (k *Connector) remove(ctx context.Context, acct services.Account) error {
	st, err := parseState(acct.State)
	if err != nil {
		return err
	}
	if st.CLDBID == 0 {
		if st.Key != "" {
			if err := k.deleteKey(ctx, acct.ExternalID, st.Key); err != nil {
				return err
			}
		}
		// Redeemed since the last sync?
		found, _, ok, err := k.find(ctx, acct.ExternalID)
		if err != nil || !ok {
			return err
		}
		st = found
	}
	items, err := k.q.Exec(ctx, Cmd("clientlist"))
	if err != nil {
		return err
	}
	// One kick per connection (usually one): WebQuery takes no lists.
	for _, it := range items {
		if it["client_database_id"] != fmt.Sprint(st.CLDBID) || it["client_type"] == "1" {
			continue
		}
		_, err := k.q.Exec(ctx, Cmd("clientkick", "clid", it["clid"], "reasonid", 5, "reasonmsg", kickReason))
		if err != nil && !errors.Is(err, ErrInvalidClientID) {
			return err
		}
	}
	_, err = k.q.Exec(ctx, Cmd("clientdbdelete", "cldbid", st.CLDBID))
	if errors.Is(err, ErrInvalidClientID) || errors.Is(err, ErrEmptyResult) {
		return nil
	}
	return err
}
