package teamspeak3

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/keepstar/keepstar/internal/services"
)

// Invite implements services.Inviter: a privilege key for the member
// group, whose custom set writes the member's handle on the client record
// that redeems it. The account's ExternalID is the handle; its State holds
// the key, sealed, until Apply finds the client.
func (k *Connector) Invite(ctx context.Context, want services.Want) (services.Account, error) {
	handle := newHandle()
	st, err := k.issueKey(ctx, handle, want.Name)
	if err != nil {
		return services.Account{}, classify(ctx, err)
	}
	return services.Account{ExternalID: handle, ExternalName: want.Name, State: st.String()}, nil
}

// maxKeyDescription keeps the key's description short on the server's
// key list.
const maxKeyDescription = 60

// issueKey makes a privilege key for the member group with handle as its
// custom field. Newer servers call the command privilegekeyadd; older ones
// only know tokenadd, which Alliance Auth still sends: on 256
// (command not found) the old name is used.
func (k *Connector) issueKey(ctx context.Context, handle, name string) (state, error) {
	l, err := k.groups.current(ctx)
	if err != nil {
		return state{}, err
	}
	_, ids, missing, err := k.groups.resolve(ctx, l, []string{k.member})
	if err != nil {
		return state{}, err
	}
	if len(missing) > 0 || len(ids) == 0 {
		return state{}, fmt.Errorf("the member group %q is not a regular server group on TeamSpeak (the default group cannot be given by a key): %w",
			k.member, errGroupMissing)
	}
	desc := "Keepstar: " + name
	if utf8.RuneCountInString(desc) > maxKeyDescription {
		desc = string([]rune(desc)[:maxKeyDescription])
	}
	// The custom set is a list in the list syntax, escaped once inside
	// and once more as the parameter's value.
	custom := "ident=" + Escape(CustomIdent) + " value=" + Escape(handle)
	c := Cmd("privilegekeyadd", "tokentype", 0, "tokenid1", ids[0], "tokenid2", 0, "tokendescription", desc,
		"tokencustomset", custom)
	items, err := k.q.Exec(ctx, c)
	if errors.Is(err, ErrCommandNotFound) {
		c.Name = "tokenadd"
		items, err = k.q.Exec(ctx, c)
	}
	if err != nil {
		return state{}, err
	}
	if len(items) == 0 || items[0]["token"] == "" {
		return state{}, fmt.Errorf("%w: %s gave no token", ErrBadReply, c.Name)
	}
	return state{Key: k.sealKey(handle, items[0]["token"]), KeyAt: k.now()}, nil
}

// deleteKey deletes a pending key; one already used or deleted (3840) is
// no error. A stored key that does not open (the site's secret key
// changed) is found on the server's key list by the handle in its custom
// set instead.
func (k *Connector) deleteKey(ctx context.Context, handle, sealed string) error {
	key, err := k.openKey(handle, sealed)
	if err != nil {
		k.logger.WarnContext(ctx, "teamspeak3: a stored key does not open; looking for it on the server", "handle", handle, "err", err)
		if key, err = k.findKey(ctx, handle); err != nil || key == "" {
			return err
		}
	}
	_, err = k.q.Exec(ctx, Cmd("privilegekeydelete", "token", key))
	if errors.Is(err, ErrCommandNotFound) {
		_, err = k.q.Exec(ctx, Cmd("tokendelete", "token", key))
	}
	if errors.Is(err, ErrInvalidKey) {
		return nil
	}
	return err
}

// find looks for the client record that redeemed a member's key, by the
// custom field it wrote: found false while nobody has.
func (k *Connector) find(ctx context.Context, handle string) (st state, nick string, found bool, err error) {
	items, err := k.q.Exec(ctx, Cmd("customsearch", "ident", CustomIdent, "pattern", handle))
	if errors.Is(err, ErrEmptyResult) {
		return state{}, "", false, nil
	}
	if err != nil {
		return state{}, "", false, err
	}
	for _, it := range items {
		if it["value"] != handle {
			continue // a pattern matches more than itself only with wildcards, which a handle has none of
		}
		id, err := it.Int("cldbid")
		if err != nil {
			return state{}, "", false, err
		}
		info, err := k.q.Exec(ctx, Cmd("clientdbinfo", "cldbid", id))
		if errors.Is(err, ErrInvalidClientID) || errors.Is(err, ErrEmptyResult) {
			continue // deleted since
		}
		if err != nil {
			return state{}, "", false, err
		}
		if len(info) == 0 {
			continue
		}
		return state{CLDBID: id, UID: info[0]["client_unique_identifier"]}, info[0]["client_nickname"], true, nil
	}
	return state{}, "", false, nil
}

// findKey finds the pending key whose custom set holds handle ("" if
// none).
func (k *Connector) findKey(ctx context.Context, handle string) (string, error) {
	items, err := k.q.Exec(ctx, Cmd("privilegekeylist"))
	if errors.Is(err, ErrCommandNotFound) {
		items, err = k.q.Exec(ctx, Cmd("tokenlist"))
	}
	if errors.Is(err, ErrEmptyResult) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	want := "value=" + Escape(handle)
	for _, it := range items {
		for field := range strings.SplitSeq(it["token_customset"], " ") {
			if field == want {
				return it["token"], nil
			}
		}
	}
	return "", nil
}
