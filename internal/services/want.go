package services

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/keepstar/keepstar/internal/store"
)

// defaultNameFormat is Alliance Auth's last resort, for a type that
// declares none.
const defaultNameFormat = "[{corp_ticker}] {character_name}"

// facts are what an account's Want on any instance is made of.
type facts struct {
	accountID   int64
	active      bool
	stateID     int64
	stateName   string
	deactivated bool // its groups are deactivated (invalid tokens)
	identity    Identity
	groups      []namedGroup // none while deactivated
	permissions map[string]bool
}

type namedGroup struct {
	id   int64
	name string
}

// readFacts reads an account's facts in three queries.
func readFacts(ctx context.Context, q store.Querier, accountID int64) (facts, error) {
	f := facts{accountID: accountID}
	var deactivated string
	id := &f.identity
	err := q.QueryRow(ctx, `SELECT a.active, COALESCE(a.state_id, 0), COALESCE(st.name, ''), a.groups_deactivated, a.name,
		COALESCE(m.id, 0), COALESCE(m.name, ''), COALESCE(m.corporation_id, 0), COALESCE(c.name, ''), COALESCE(c.ticker, ''),
		COALESCE(m.alliance_id, 0), COALESCE(al.name, ''), COALESCE(al.ticker, '')
		FROM accounts a LEFT JOIN states st ON st.id = a.state_id
		LEFT JOIN characters m ON m.account_id = a.id AND m.main
		LEFT JOIN eve_corporations c ON c.id = m.corporation_id
		LEFT JOIN eve_alliances al ON al.id = m.alliance_id
		WHERE a.id = $1`, accountID).Scan(&f.active, &f.stateID, &f.stateName, &deactivated, &id.Username,
		&id.CharacterID, &id.CharacterName, &id.CorpID, &id.CorpName, &id.CorpTicker, &id.AllianceID, &id.AllianceName, &id.AllianceTicker)
	if err != nil {
		return f, fmt.Errorf("services: facts of account %d: %w", accountID, err)
	}
	if id.CharacterName == "" {
		// Alliance Auth's default_to_username: an account without a main
		// is named by its own name.
		id.CharacterName = id.Username
	}
	f.deactivated = deactivated == "yes"
	if !f.deactivated {
		f.groups, err = store.Collect(ctx, q, `SELECT g.id, g.name FROM group_members m JOIN groups g ON g.id = m.group_id
			WHERE m.account_id = $1 ORDER BY g.id`, func(rows store.Rows, g *namedGroup) error {
			return rows.Scan(&g.id, &g.name)
		}, accountID)
		if err != nil {
			return f, fmt.Errorf("services: groups of account %d: %w", accountID, err)
		}
	}
	// The account's permissions: its own, its state's and, unless they are
	// deactivated, its groups'.
	perms, err := store.Column[string](ctx, q, `SELECT permission FROM account_permissions WHERE account_id = $1
		UNION SELECT sp.permission FROM state_permissions sp JOIN accounts a ON a.state_id = sp.state_id WHERE a.id = $1
		UNION SELECT gp.permission FROM group_permissions gp JOIN group_members m ON m.group_id = gp.group_id
			JOIN accounts a ON a.id = m.account_id WHERE m.account_id = $1 AND a.groups_deactivated <> 'yes'`, accountID)
	if err != nil {
		return f, fmt.Errorf("services: permissions of account %d: %w", accountID, err)
	}
	f.permissions = make(map[string]bool, len(perms))
	for _, p := range perms {
		f.permissions[p] = true
	}
	return f, nil
}

// allowed reports whether the facts give the instance: an active account
// holding its access permission.
func (f facts) allowed(inst Instance) bool { return f.active && f.permissions[inst.Permission()] }

// want computes what the account should have on the instance.
func (f facts) want(inst Instance, t Type, v vocabulary) (Want, error) {
	format := inst.StateFormats[f.stateID]
	if format == "" {
		format = inst.NameFormat
	}
	if format == "" {
		format = t.DefaultNameFormat
	}
	if format == "" {
		format = defaultNameFormat
	}
	name, err := Format(format, f.identity)
	if err != nil {
		return Want{}, fmt.Errorf("services: name format of %s: %w", inst.Slug, err)
	}
	if t.Sanitize != nil {
		name = t.Sanitize(name)
	}
	var groups []string
	if t.Capabilities.Groups {
		for _, g := range f.groups {
			ext, mapped := inst.Maps[g.id]
			if !mapped && inst.MapByName {
				ext = g.name
			}
			if ext != "" {
				groups = append(groups, ext)
			}
		}
		if inst.StateAsGroup && f.stateName != "" {
			groups = append(groups, f.stateName)
		}
		slices.Sort(groups)
		groups = slices.Compact(groups)
	}
	return Want{Name: name, Groups: groups, Keep: keeper(inst, v), AccountID: f.accountID, Identity: f.identity}, nil
}

// vocabulary is the site's names a Keep needs: reserved group names and
// the states'.
type vocabulary struct {
	reserved []string
	states   []string
}

func readVocabulary(ctx context.Context, q store.Querier) (vocabulary, error) {
	var v vocabulary
	var err error
	if v.reserved, err = store.Column[string](ctx, q, `SELECT name FROM reserved_group_names`); err != nil {
		return v, fmt.Errorf("services: reserved names: %w", err)
	}
	if v.states, err = store.Column[string](ctx, q, `SELECT name FROM states`); err != nil {
		return v, fmt.Errorf("services: states: %w", err)
	}
	return v, nil
}

// keeper gives the Keep of an instance's Wants: the service's groups
// Keepstar leaves alone on an account.
func keeper(inst Instance, v vocabulary) func(string) bool {
	unmanaged := map[string]bool{}
	for _, n := range v.reserved {
		unmanaged[strings.ToLower(n)] = true
	}
	for _, n := range inst.Unmanaged {
		unmanaged[strings.ToLower(n)] = true
	}
	var managed map[string]bool
	if !inst.MapByName {
		// Only what a mapping names is Keepstar's (and the states, when
		// they are groups there).
		managed = map[string]bool{}
		for _, ext := range inst.Maps {
			if ext != "" {
				managed[ext] = true
			}
		}
		if inst.StateAsGroup {
			for _, st := range v.states {
				managed[st] = true
			}
		}
	}
	return func(group string) bool {
		return unmanaged[strings.ToLower(group)] || (managed != nil && !managed[group])
	}
}
