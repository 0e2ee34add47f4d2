package discord

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
	"unicode/utf8"
)

// rolesMaxAge is how long a connector trusts its role list when nothing
// says it is stale (a wanted name missing, an unknown role id): Alliance
// Auth keeps its for an hour; a few minutes notice a role renamed on
// Discord sooner, for one cheap request (the guild read has only the
// global limit).
const rolesMaxAge = 5 * time.Minute

// maxRoleName is the longest role name Discord takes, in characters.
const maxRoleName = 100

// roleList is a guild's roles as read at one moment, with its owner. It is
// never changed once made: a refresh makes a new one.
type roleList struct {
	gen     int // counts refreshes, so that concurrent callers refresh once
	owner   string
	all     []Role          // by position, highest first
	byID    map[string]Role // every role, @everyone's included
	byName  map[string]Role // the assignable role of each name: the lowest id
	managed map[string]bool // names only managed roles (or @everyone) have
}

func newRoleList(g Guild, gen int) *roleList {
	l := &roleList{gen: gen, owner: g.OwnerID, byID: map[string]Role{}, byName: map[string]Role{},
		managed: map[string]bool{}}
	l.all = slices.Clone(g.Roles)
	slices.SortStableFunc(l.all, func(a, b Role) int {
		if a.Position != b.Position {
			return b.Position - a.Position
		}
		if lessID(a.ID, b.ID) {
			return -1
		}
		return 1
	})
	for _, r := range l.all {
		l.byID[r.ID] = r
		if !l.assignable(r, g.ID) {
			l.managed[r.Name] = true
			continue
		}
		// Discord allows several roles of one name; the lowest id (the
		// oldest) is the one Keepstar uses, whichever process asks.
		if have, ok := l.byName[r.Name]; !ok || lessID(r.ID, have.ID) {
			l.byName[r.Name] = r
		}
	}
	for name := range l.byName {
		delete(l.managed, name)
	}
	return l
}

// assignable reports whether Keepstar may manage role r of guild: never
// @everyone (whose id is the guild's) nor a role Discord manages (a bot's,
// the boosters').
func (l *roleList) assignable(r Role, guild string) bool {
	return r.ID != guild && !r.Managed && r.Name != "@everyone"
}

// names gives the names of the assignable roles among ids, sorted, each
// once; unknown ids are skipped.
func (l *roleList) names(ids []string, guild string) []string {
	out := []string{}
	for _, id := range ids {
		if r, ok := l.byID[id]; ok && l.assignable(r, guild) {
			out = append(out, r.Name)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// unknown reports whether any of ids is not in the list.
func (l *roleList) unknown(ids []string) bool {
	for _, id := range ids {
		if _, ok := l.byID[id]; !ok {
			return true
		}
	}
	return false
}

// roleBook keeps a connector's role list and makes the roles it lacks.
type roleBook struct {
	c     *Client
	guild string
	now   func() time.Time
	// noCreate is DISCORD_DISABLE_ROLE_CREATION: a missing role is an error.
	noCreate bool

	mu       sync.Mutex // held while refreshing
	list     *roleList
	listedAt time.Time
	// creating is held while a role is made, so that one process never
	// makes two of a name.
	creating sync.Mutex
}

// current gives the role list, read again when older than maxAge.
func (b *roleBook) current(ctx context.Context, maxAge time.Duration) (*roleList, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.list != nil && b.now().Sub(b.listedAt) < maxAge {
		return b.list, nil
	}
	return b.readLocked(ctx)
}

// refresh reads the role list again, unless another caller did since seen
// (the list the caller found stale) was read.
func (b *roleBook) refresh(ctx context.Context, seen *roleList) (*roleList, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.list != nil && seen != nil && b.list.gen != seen.gen {
		return b.list, nil
	}
	return b.readLocked(ctx)
}

func (b *roleBook) readLocked(ctx context.Context) (*roleList, error) {
	// The guild carries its roles and its owner in one read.
	g, err := b.c.Guild(ctx, b.guild)
	if err != nil {
		return nil, err
	}
	gen := 1
	if b.list != nil {
		gen = b.list.gen + 1
	}
	b.list, b.listedAt = newRoleList(g, gen), b.now()
	return b.list, nil
}

// roleName is the name a wanted group has on Discord: at most 100
// characters.
func roleName(name string) string {
	if utf8.RuneCountInString(name) <= maxRoleName {
		return name
	}
	return string([]rune(name)[:maxRoleName])
}

// resolve gives the role ids of the wanted names, from list, reading the
// list again once when a name is missing and making the roles still
// missing then. It returns the list it ended with.
func (b *roleBook) resolve(ctx context.Context, list *roleList, names []string) ([]string, *roleList, error) {
	ids := make([]string, 0, len(names))
	var missing []string
	for _, n := range names {
		n = roleName(n)
		if n == "" {
			continue
		}
		if r, ok := list.byName[n]; ok {
			ids = append(ids, r.ID)
		} else {
			missing = append(missing, n)
		}
	}
	if len(missing) == 0 {
		return ids, list, nil
	}
	list, err := b.refresh(ctx, list)
	if err != nil {
		return nil, nil, err
	}
	for _, n := range missing {
		r, ok := list.byName[n]
		if !ok {
			if r, list, err = b.create(ctx, n); err != nil {
				return nil, nil, err
			}
		}
		ids = append(ids, r.ID)
	}
	slices.Sort(ids)
	return slices.Compact(ids), list, nil
}

// create makes the role name, unless it exists by now. Alliance Auth made
// 127 "Member" roles from a stale cache (its issue #478): the list is read
// again just before, under a lock, so one process never makes a name
// twice; and read again after, so that of two processes making the same
// name at once, both keep the older role and the younger is deleted.
func (b *roleBook) create(ctx context.Context, name string) (Role, *roleList, error) {
	b.creating.Lock()
	defer b.creating.Unlock()
	list, err := b.refresh(ctx, nil)
	if err != nil {
		return Role{}, nil, err
	}
	if r, ok := list.byName[name]; ok {
		return r, list, nil
	}
	if list.managed[name] {
		return Role{}, nil, fmt.Errorf("%w: %q is a role Discord manages (a bot's or the boosters'): Keepstar cannot grant it; map the group to another role",
			errRoleSetup, name)
	}
	if b.noCreate {
		return Role{}, nil, fmt.Errorf("%w: no role %q on Discord, and role creation is off: create it there or map the group to an existing role",
			errRoleSetup, name)
	}
	made, err := b.c.CreateRole(ctx, b.guild, name)
	if err != nil {
		return Role{}, nil, err
	}
	if list, err = b.refresh(ctx, nil); err != nil {
		return made, list, err
	}
	if r, ok := list.byName[name]; ok && r.ID != made.ID && lessID(r.ID, made.ID) {
		// Another process made it at the same moment: keep the older.
		if err := b.c.DeleteRole(ctx, b.guild, made.ID); err == nil {
			list, err = b.refresh(ctx, nil)
			return r, list, err
		}
		return r, list, nil
	}
	return made, list, nil
}
