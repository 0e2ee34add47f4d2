package services

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/secrets"
	"github.com/keepstar/keepstar/internal/store"
)

// Instance is one configured service: a Discord guild, a Mumble server.
type Instance struct {
	ID int64
	// Slug names it in its permission (services.<slug>.access) and its
	// paths; it never changes.
	Slug    string
	Type    string
	Name    string
	Enabled bool
	// Settings are the type's settings, secrets included (opened).
	Settings map[string]string
	// NameFormat is the instance's format ("" : the type's default);
	// StateFormats override it for accounts in a state.
	NameFormat   string
	StateFormats map[int64]string
	// MapByName gives every group the service's group of the same name;
	// Maps override it per group (external "" : none).
	MapByName bool
	Maps      map[int64]string
	// StateAsGroup makes the account's state one of its groups there.
	StateAsGroup bool
	// Unmanaged are the service's groups Keepstar never touches.
	Unmanaged   []string
	VerifiedAt  time.Time
	VerifyError string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Permission is the instance's access permission.
func (i Instance) Permission() string { return PermissionName(i.Slug) }

// PermissionName is the access permission of the instance slug.
func PermissionName(slug string) string { return "services." + slug + ".access" }

// Input is an administrator's definition of an instance.
type Input struct {
	Slug         string // on creation only
	Type         string // on creation only
	Name         string
	Enabled      bool
	Settings     map[string]string // a secret left "" keeps its value
	NameFormat   string
	StateFormats map[int64]string
	MapByName    bool
	Maps         map[int64]string
	StateAsGroup bool
	Unmanaged    []string
}

// Errors of the instance store.
var (
	ErrNotFound = errors.New("services: no such service")
	ErrInvalid  = errors.New("services: invalid service")
)

// slugPattern: lower-case letters, digits and dashes, as in a path and a
// permission name (no dots).
var slugPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,39}$`)

// secretsPurpose separates the key of instances' secrets from every other.
const secretsPurpose = "service instance secrets"

// instances is the store of instances.
type instances struct {
	db    *store.DB
	box   *secrets.Box
	types map[string]Type
	now   func() time.Time
}

// Validate checks an input against its type, every problem at once. id is
// 0 for a new instance.
func (s *instances) Validate(ctx context.Context, id int64, in Input) i18n.Problems {
	var ps i18n.Problems
	t, ok := s.types[in.Type]
	if !ok {
		ps.Add("type", "services.admin.error.type")
	}
	if id == 0 {
		if !slugPattern.MatchString(in.Slug) {
			ps.Add("slug", "services.admin.error.slug")
		} else {
			var taken bool
			if err := s.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM service_instances WHERE slug = $1)`, in.Slug).Scan(&taken); err == nil && taken {
				ps.Add("slug", "services.admin.error.slug_taken")
			}
		}
	}
	if n := strings.TrimSpace(in.Name); n == "" || utf8.RuneCountInString(n) > 64 {
		ps.Add("name", "services.admin.error.name")
	}
	for _, f := range append([]string{in.NameFormat}, formatValues(in.StateFormats)...) {
		if f == "" {
			continue
		}
		if err := CheckFormat(f); err != nil {
			ps.Add("name_format", "services.admin.error.name_format", "Error", err.Error())
			break
		}
	}
	for _, ext := range in.Maps {
		if utf8.RuneCountInString(ext) > 100 {
			ps.Add("maps", "services.admin.error.map")
			break
		}
	}
	if ok {
		var stored map[string]string
		if id != 0 {
			if inst, err := s.get(ctx, `id = $1`, id); err == nil {
				stored = inst.Settings
			}
		}
		for _, set := range t.Settings {
			v := strings.TrimSpace(in.Settings[set.Key])
			if v == "" && set.Secret {
				v = stored[set.Key]
			}
			switch {
			case v == "" && set.Required && in.Enabled:
				ps.Add("setting-"+set.Key, "services.admin.error.required", "Setting", i18n.M(set.Label))
			case v != "" && set.Check != nil:
				if err := set.Check(v); err != nil {
					ps.Add("setting-"+set.Key, "services.admin.error.setting", "Setting", i18n.M(set.Label), "Error", err.Error())
				}
			}
		}
	}
	return ps
}

func formatValues(m map[int64]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// Create stores a new instance; its type's settings are checked.
func (s *instances) Create(ctx context.Context, in Input) (Instance, error) {
	if err := s.Validate(ctx, 0, in).Err(ErrInvalid); err != nil {
		return Instance{}, err
	}
	now := s.now()
	var id int64
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO service_instances (slug, type, name, enabled, settings, secrets, name_format, map_by_name,
			state_as_group, unmanaged, verify_error, created_at, updated_at)
			VALUES ($1, $2, $3, FALSE, '{}', '', '', TRUE, FALSE, '', '', $4, $4) RETURNING id`, in.Slug, in.Type, strings.TrimSpace(in.Name), now).Scan(&id)
		if err != nil {
			return fmt.Errorf("services: create %q: %w", in.Slug, err)
		}
		return s.write(ctx, tx, id, in, now)
	})
	if err != nil {
		return Instance{}, err
	}
	return s.Get(ctx, id)
}

// Update changes an instance; a secret setting left empty keeps its value.
func (s *instances) Update(ctx context.Context, id int64, in Input) (Instance, error) {
	old, err := s.Get(ctx, id)
	if err != nil {
		return Instance{}, err
	}
	in.Slug, in.Type = old.Slug, old.Type
	if err := s.Validate(ctx, id, in).Err(ErrInvalid); err != nil {
		return Instance{}, err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error { return s.write(ctx, tx, id, in, s.now()) })
	if err != nil {
		return Instance{}, err
	}
	return s.Get(ctx, id)
}

// write stores an input's fields, its settings split into plain and sealed.
func (s *instances) write(ctx context.Context, tx *store.Tx, id int64, in Input, now time.Time) error {
	t := s.types[in.Type]
	var stored map[string]string
	if inst, err := s.getIn(ctx, tx, `id = $1`, id); err == nil {
		stored = inst.Settings
	} else {
		return err
	}
	plain, secret := map[string]string{}, map[string]string{}
	for _, set := range t.Settings {
		v := strings.TrimSpace(in.Settings[set.Key])
		if set.Secret {
			if v == "" {
				v = stored[set.Key]
			}
			if v != "" {
				secret[set.Key] = v
			}
			continue
		}
		if v != "" {
			plain[set.Key] = v
		}
	}
	plainJSON, err := json.Marshal(plain)
	if err != nil {
		return fmt.Errorf("services: settings: %w", err)
	}
	sealed := ""
	if len(secret) > 0 {
		raw, err := json.Marshal(secret)
		if err != nil {
			return fmt.Errorf("services: settings: %w", err)
		}
		sealed = s.box.Seal(string(raw), sealedFor(id))
	}
	unmanaged := slices.Clone(in.Unmanaged)
	for i := range unmanaged {
		unmanaged[i] = strings.TrimSpace(unmanaged[i])
	}
	unmanaged = slices.DeleteFunc(unmanaged, func(s string) bool { return s == "" })
	slices.Sort(unmanaged)
	unmanaged = slices.Compact(unmanaged)
	if _, err := tx.Exec(ctx, `UPDATE service_instances SET name = $2, enabled = $3, settings = $4, secrets = $5, name_format = $6,
		map_by_name = $7, state_as_group = $8, unmanaged = $9, updated_at = $10 WHERE id = $1`,
		id, strings.TrimSpace(in.Name), in.Enabled, string(plainJSON), sealed, strings.TrimSpace(in.NameFormat), in.MapByName,
		in.StateAsGroup, strings.Join(unmanaged, "\n"), now); err != nil {
		return fmt.Errorf("services: update %d: %w", id, err)
	}
	for _, st := range []string{`DELETE FROM service_name_formats WHERE instance_id = $1`, `DELETE FROM service_group_maps WHERE instance_id = $1`} {
		if _, err := tx.Exec(ctx, st, id); err != nil {
			return fmt.Errorf("services: update %d: %w", id, err)
		}
	}
	for state, f := range in.StateFormats {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if _, err := tx.Exec(ctx, `INSERT INTO service_name_formats (instance_id, state_id, format) VALUES ($1, $2, $3)`, id, state, f); err != nil {
			return fmt.Errorf("%w: no state %d", ErrInvalid, state)
		}
	}
	for group, ext := range in.Maps {
		if _, err := tx.Exec(ctx, `INSERT INTO service_group_maps (instance_id, group_id, external) VALUES ($1, $2, $3)`, id, group, strings.TrimSpace(ext)); err != nil {
			return fmt.Errorf("%w: no group %d", ErrInvalid, group)
		}
	}
	return nil
}

// sealedFor binds an instance's sealed secrets to its row.
func sealedFor(id int64) string { return fmt.Sprintf("service_instances:%d", id) }

// Delete removes an instance, its service accounts and audit log, and
// every grant of its permission. The accounts on the service are not
// touched: the admin removes the bot or the server.
func (s *instances) Delete(ctx context.Context, id int64) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		inst, err := s.getIn(ctx, tx, `id = $1`, id)
		if err != nil {
			return err
		}
		perm := inst.Permission()
		for _, st := range []string{`DELETE FROM account_permissions WHERE permission = $1`, `DELETE FROM state_permissions WHERE permission = $1`,
			`DELETE FROM group_permissions WHERE permission = $1`} {
			if _, err := tx.Exec(ctx, st, perm); err != nil {
				return fmt.Errorf("services: delete %d: %w", id, err)
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM service_instances WHERE id = $1`, id); err != nil {
			return fmt.Errorf("services: delete %d: %w", id, err)
		}
		return nil
	})
}

// Get gives an instance by id.
func (s *instances) Get(ctx context.Context, id int64) (Instance, error) {
	return s.get(ctx, `id = $1`, id)
}

// BySlug gives an instance by slug.
func (s *instances) BySlug(ctx context.Context, slug string) (Instance, error) {
	return s.get(ctx, `slug = $1`, slug)
}

func (s *instances) get(ctx context.Context, where string, arg any) (Instance, error) {
	return s.getIn(ctx, s.db, where, arg)
}

const instanceColumns = `id, slug, type, name, enabled, settings, secrets, name_format, map_by_name, state_as_group, unmanaged,
	verified_at, verify_error, created_at, updated_at`

func (s *instances) getIn(ctx context.Context, q store.Querier, where string, arg any) (Instance, error) {
	list, err := s.list(ctx, q, where, arg)
	if err != nil {
		return Instance{}, err
	}
	if len(list) == 0 {
		return Instance{}, fmt.Errorf("%w: %v", ErrNotFound, arg)
	}
	return list[0], nil
}

// List gives every instance, by name.
func (s *instances) List(ctx context.Context) ([]Instance, error) { return s.list(ctx, s.db, "") }

func (s *instances) list(ctx context.Context, q store.Querier, where string, args ...any) ([]Instance, error) {
	query := `SELECT ` + instanceColumns + ` FROM service_instances`
	if where != "" {
		query += ` WHERE ` + where
	}
	out, err := store.Collect(ctx, q, query+` ORDER BY lower(name), id`, func(rows store.Rows, i *Instance) error {
		var settings, sealed, unmanaged string
		var verified *time.Time
		if err := rows.Scan(&i.ID, &i.Slug, &i.Type, &i.Name, &i.Enabled, &settings, &sealed, &i.NameFormat, &i.MapByName,
			&i.StateAsGroup, &unmanaged, &verified, &i.VerifyError, &i.CreatedAt, &i.UpdatedAt); err != nil {
			return err
		}
		if verified != nil {
			i.VerifiedAt = *verified
		}
		if unmanaged != "" {
			i.Unmanaged = strings.Split(unmanaged, "\n")
		}
		i.Settings = map[string]string{}
		if err := json.Unmarshal([]byte(settings), &i.Settings); err != nil {
			return fmt.Errorf("settings of service %d: %w", i.ID, err)
		}
		if sealed != "" {
			raw, err := s.box.Open(sealed, sealedFor(i.ID))
			if err != nil {
				return fmt.Errorf("secrets of service %d: %w", i.ID, err)
			}
			secret := map[string]string{}
			if err := json.Unmarshal([]byte(raw), &secret); err != nil {
				return fmt.Errorf("secrets of service %d: %w", i.ID, err)
			}
			for k, v := range secret {
				i.Settings[k] = v
			}
		}
		return nil
	}, args...)
	if err != nil {
		return nil, fmt.Errorf("services: instances: %w", err)
	}
	// Every instance's formats and mappings in two statements, however
	// many instances (the dashboard lists them all).
	byID := make(map[int64]*Instance, len(out))
	ids := make([]int64, 0, len(out))
	for idx := range out {
		i := &out[idx]
		i.StateFormats, i.Maps = map[int64]string{}, map[int64]string{}
		byID[i.ID] = i
		ids = append(ids, i.ID)
	}
	for list, args := range store.InChunks(ids) {
		err := store.Each(ctx, q, `SELECT instance_id, state_id, format FROM service_name_formats WHERE instance_id IN (`+list+`)`,
			func(rows store.Rows) error {
				var inst, st int64
				var f string
				err := rows.Scan(&inst, &st, &f)
				byID[inst].StateFormats[st] = f
				return err
			}, args...)
		if err == nil {
			err = store.Each(ctx, q, `SELECT instance_id, group_id, external FROM service_group_maps WHERE instance_id IN (`+list+`)`,
				func(rows store.Rows) error {
					var inst, g int64
					var ext string
					err := rows.Scan(&inst, &g, &ext)
					byID[inst].Maps[g] = ext
					return err
				}, args...)
		}
		if err != nil {
			return nil, fmt.Errorf("services: instances: %w", err)
		}
	}
	return out, nil
}

// recordVerification stores the outcome of a verification.
func (s *instances) recordVerification(ctx context.Context, id int64, at time.Time, problem string) error {
	if _, err := s.db.Exec(ctx, `UPDATE service_instances SET verified_at = $2, verify_error = $3 WHERE id = $1`, id, at, problem); err != nil {
		return fmt.Errorf("services: record verification of %d: %w", id, err)
	}
	return nil
}
