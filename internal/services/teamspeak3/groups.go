package teamspeak3

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"
)

// groupsMaxAge is how long the server group list is trusted before it is
// read again (a missing name or a 2560 reads it at once).
const groupsMaxAge = 10 * time.Minute

// Server group types (servergrouplist's type).
const (
	typeTemplate = 0
	typeRegular  = 1
	typeQuery    = 2
)

// group is one server group.
type group struct {
	id   int
	name string
	typ  int
}

// groupList is the server's groups as read at one time.
type groupList struct {
	byID   map[int]group
	byName map[string]group // regular groups only; the oldest of a name
	// defaultID is the virtual server's default group (Guest), which is
	// never given nor taken.
	defaultID int
	read      time.Time
}

// manageable says whether Keepstar may give or take a group: a regular
// group other than the default one.
func (l *groupList) manageable(id int) bool {
	g, ok := l.byID[id]
	return ok && g.typ == typeRegular && id != l.defaultID
}

// groupBook caches the server's group list per connector.
type groupBook struct {
	sess querier
	now  func() time.Time
	mu   sync.Mutex
	list *groupList
}

// current gives the list, read again when older than groupsMaxAge.
func (b *groupBook) current(ctx context.Context) (*groupList, error) {
	b.mu.Lock()
	l := b.list
	b.mu.Unlock()
	if l != nil && b.now().Sub(l.read) < groupsMaxAge {
		return l, nil
	}
	return b.refresh(ctx, nil)
}

// refresh reads the list again, unless another caller did since seen was
// read.
func (b *groupBook) refresh(ctx context.Context, seen *groupList) (*groupList, error) {
	b.mu.Lock()
	if b.list != nil && seen != nil && b.list != seen {
		l := b.list
		b.mu.Unlock()
		return l, nil
	}
	b.mu.Unlock()
	items, err := b.sess.Exec(ctx, Cmd("servergrouplist"))
	if err != nil {
		return nil, err
	}
	info, err := b.sess.Exec(ctx, Cmd("serverinfo"))
	if err != nil {
		return nil, err
	}
	l := &groupList{byID: map[int]group{}, byName: map[string]group{}, read: b.now()}
	if len(info) > 0 {
		// A server that does not say leaves 0: no group is spared as the
		// default, and 2564 still refuses touching it.
		if id, err := info[0].Int("virtualserver_default_server_group"); err == nil {
			l.defaultID = id
		}
	}
	for _, it := range items {
		id, err := it.Int("sgid")
		if err != nil {
			return nil, err
		}
		typ, err := it.Int("type")
		if err != nil {
			return nil, err
		}
		g := group{id: id, name: it["name"], typ: typ}
		l.byID[id] = g
		if typ == typeRegular {
			if old, ok := l.byName[g.name]; !ok || id < old.id {
				l.byName[g.name] = g
			}
		}
	}
	b.mu.Lock()
	b.list = l
	b.mu.Unlock()
	return l, nil
}

// errGroupMissing is a wanted group the server does not have.
var errGroupMissing = errors.New("no such server group on TeamSpeak")

// resolve maps names to the regular groups' ids, reading the list again
// once when a name is missing; the names still missing are given too.
func (b *groupBook) resolve(ctx context.Context, l *groupList, names []string) (*groupList, []int, []string, error) {
	ids, missing := l.ids(names)
	if len(missing) > 0 {
		var err error
		if l, err = b.refresh(ctx, l); err != nil {
			return nil, nil, nil, err
		}
		ids, missing = l.ids(names)
	}
	return l, ids, missing, nil
}

func (l *groupList) ids(names []string) ([]int, []string) {
	var ids []int
	var missing []string
	for _, n := range names {
		g, ok := l.byName[n]
		if !ok {
			missing = append(missing, n)
			continue
		}
		if g.id != l.defaultID {
			ids = append(ids, g.id)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids), missing
}

// Groups implements services.GroupLister: the names of the server's
// regular groups but the default one, sorted.
func (k *Connector) Groups(ctx context.Context) ([]string, error) {
	l, err := k.groups.refresh(ctx, nil)
	if err != nil {
		return nil, classify(ctx, err)
	}
	var out []string
	for name, g := range l.byName {
		if g.id != l.defaultID {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out, nil
}
