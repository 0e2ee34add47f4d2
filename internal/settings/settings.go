package settings

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/store"
)

// Kind tells how a setting is edited and checked.
type Kind string

const (
	KindBool  Kind = "bool"
	KindInt   Kind = "int"
	KindText  Kind = "text"  // one line
	KindLong  Kind = "long"  // several lines, Markdown where the feature says so
	KindImage Kind = "image" // an uploaded picture, stored as "content-type;base64"
	KindEnum  Kind = "enum"  // one of Choices
)

// Definition describes one setting. Label and Help are message ids of the
// translation catalogue.
type Definition struct {
	Name    string
	Section string // groups settings on the page, a message id
	Kind    Kind
	Default string
	Label   string
	Help    string
	// Min and Max bound a KindInt; MaxLen bounds text (in characters) and
	// an image (in bytes).
	Min, Max int
	MaxLen   int
	Choices  []string
	// EVEKind marks a list of EVE ids of that kind ("corporation",
	// "alliance"): the settings page takes names in it too, resolved to
	// ids when it is saved, offers to find them by name, and shows the
	// names of the ids stored.
	EVEKind string
	// ChoiceLabels are the message ids of a KindEnum's choices as the
	// settings page shows them, by choice; the choice itself is what is
	// stored. Every choice has one (a test of internal/app checks).
	ChoiceLabels map[string]string
	// Validate checks what the kind cannot: the value in its stored form
	// (a list of EVE ids, say). Its error says what is wrong: an
	// *i18n.InvalidError's problems are said in the reader's language,
	// each message given the setting's label as Field; any other error's
	// words are shown after the label.
	Validate func(v string) error
}

// WithDefault gives a copy with another default, for defaults that come
// from the start-up configuration (the site's name).
func (d Definition) WithDefault(v string) Definition { d.Default = v; return d }

// ErrInvalid is wrapped by every refused value. The refusal is an
// *i18n.InvalidError: each problem names the setting as its Field, and its
// message the setting's label (the argument Field), never its key.
var ErrInvalid = errors.New("settings: invalid value")

// problem is a problem of d's value: message id with its arguments, and
// the label of d as Field.
func (d Definition) problem(id string, args ...any) i18n.Problem {
	return i18n.Problem{Field: d.Name, Message: i18n.M(id, append(args, "Field", i18n.M(d.Label))...)}
}

// refuse is the refusal of d's value for one problem.
func (d Definition) refuse(id string, args ...any) error {
	return i18n.Problems{d.problem(id, args...)}.Err(ErrInvalid)
}

// Check validates a value for d and gives it in its stored form.
func (d Definition) Check(v string) (string, error) {
	out, err := d.checkKind(v)
	if err != nil || d.Validate == nil {
		return out, err
	}
	if err := d.Validate(out); err != nil {
		var invalid *i18n.InvalidError
		if !errors.As(err, &invalid) {
			return "", d.refuse("settings.error.invalid", "Problem", err.Error())
		}
		ps := make(i18n.Problems, 0, len(invalid.Problems))
		for _, p := range invalid.Problems {
			ps = append(ps, d.problem(p.ID, p.Args...))
		}
		return "", ps.Err(ErrInvalid)
	}
	return out, nil
}

// checkKind validates a value for d's kind.
func (d Definition) checkKind(v string) (string, error) {
	switch d.Kind {
	case KindBool:
		// A form's checkbox sends "on" when ticked and nothing otherwise.
		switch t := strings.TrimSpace(v); t {
		case "", "off":
			return "false", nil
		case "on":
			return "true", nil
		default:
			b, err := strconv.ParseBool(t)
			if err != nil {
				return "", d.refuse("settings.error.bool", "Value", v)
			}
			return strconv.FormatBool(b), nil
		}
	case KindInt:
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return "", d.refuse("settings.error.int", "Value", v, "Min", d.Min, "Max", d.Max)
		}
		if n < d.Min || n > d.Max {
			return "", d.refuse("settings.error.range", "Value", n, "Min", d.Min, "Max", d.Max)
		}
		return strconv.Itoa(n), nil
	case KindText, KindLong:
		if !utf8.ValidString(v) {
			return "", d.refuse("settings.error.utf8")
		}
		if d.Kind == KindText {
			v = strings.TrimSpace(v)
			if strings.ContainsAny(v, "\r\n") {
				return "", d.refuse("settings.error.one_line")
			}
		} else {
			v = strings.ReplaceAll(v, "\r\n", "\n")
		}
		if d.MaxLen > 0 && utf8.RuneCountInString(v) > d.MaxLen {
			return "", d.refuse("settings.error.too_long", "Count", d.MaxLen)
		}
		return v, nil
	case KindEnum:
		if !slices.Contains(d.Choices, v) {
			return "", d.refuse("settings.error.choice", "Value", v)
		}
		return v, nil
	case KindImage:
		if v == "" {
			return "", nil
		}
		ct, _, ok := strings.Cut(v, ";")
		if !ok || !slices.Contains(imageTypes, ct) {
			return "", d.refuse("settings.error.image")
		}
		return v, nil
	}
	return "", fmt.Errorf("%w: %s: unknown kind %q", ErrInvalid, d.Name, d.Kind) // a programming error
}

// imageTypes are the pictures accepted for upload. SVG is not among them:
// an SVG can carry script.
var imageTypes = []string{"image/png", "image/jpeg", "image/gif", "image/webp"}

// ErrImageType is wrapped when an upload is not a PNG, JPEG, GIF or WebP.
var ErrImageType = errors.New("settings: the picture must be a PNG, JPEG, GIF or WebP file")

// EncodeImage checks an uploaded picture by its content (never by the name
// or type the browser claims) and gives the stored form of d.
func (d Definition) EncodeImage(b []byte) (string, error) {
	if d.MaxLen > 0 && len(b) > d.MaxLen {
		return "", d.refuse("settings.error.image_size", "Size", d.MaxLen/1024)
	}
	ct := http.DetectContentType(b)
	if !slices.Contains(imageTypes, ct) {
		return "", errors.Join(d.refuse("settings.error.image_type"), ErrImageType)
	}
	return ct + ";" + base64.StdEncoding.EncodeToString(b), nil
}

// DecodeImage splits a stored picture into its type and bytes; ok is false
// when none is stored.
func DecodeImage(v string) (contentType string, b []byte, ok bool) {
	ct, data, found := strings.Cut(v, ";")
	if !found {
		return "", nil, false
	}
	b, err := base64.StdEncoding.DecodeString(data)
	if err != nil || len(b) == 0 {
		return "", nil, false
	}
	return ct, b, true
}

// Registry holds every feature's definitions, in the order they were added.
type Registry struct {
	defs  []Definition
	index map[string]int
}

// NewRegistry collects definitions; a name given twice is a programming
// error.
func NewRegistry(groups ...[]Definition) *Registry {
	r := &Registry{index: map[string]int{}}
	for _, g := range groups {
		r.Add(g...)
	}
	return r
}

// Add defines more settings, after those there. The composition root adds
// every feature's before the process serves or works; a name given twice
// is a programming error.
func (r *Registry) Add(defs ...Definition) {
	for _, d := range defs {
		if _, dup := r.index[d.Name]; dup {
			panic("settings: " + d.Name + " defined twice")
		}
		if _, err := d.Check(d.Default); err != nil {
			panic("settings: default of " + d.Name + ": " + err.Error())
		}
		r.index[d.Name] = len(r.defs)
		r.defs = append(r.defs, d)
	}
}

// Definitions lists the settings in order.
func (r *Registry) Definitions() []Definition { return slices.Clone(r.defs) }

// Lookup finds a definition by name.
func (r *Registry) Lookup(name string) (Definition, bool) {
	i, ok := r.index[name]
	if !ok {
		return Definition{}, false
	}
	return r.defs[i], true
}

// Values is a snapshot of every setting's value.
type Values struct {
	reg *Registry
	m   map[string]string
	// bad are the stored values that fail their check (stored by an older
	// version, or written to the database by hand), by name.
	bad map[string]stored
}

type stored struct {
	value string
	err   error
}

// Problem tells whether the value stored for d fails its check: err says
// why, and value is what is stored. String then gives the default, which
// a feature for which "empty" means "everything" must not take for the
// admin's choice.
func (v Values) Problem(d Definition) (value string, err error) {
	b := v.bad[d.Name]
	return b.value, b.err
}

// String gives d's value as stored, else its default as registered (which
// may differ from d's own: WithDefault).
func (v Values) String(d Definition) string {
	if s, ok := v.m[d.Name]; ok {
		return s
	}
	if v.reg != nil {
		if rd, ok := v.reg.Lookup(d.Name); ok {
			return rd.Default
		}
	}
	return d.Default
}

// Bool gives a KindBool setting.
func (v Values) Bool(d Definition) bool { b, _ := strconv.ParseBool(v.String(d)); return b }

// Int gives a KindInt setting.
func (v Values) Int(d Definition) int { n, _ := strconv.Atoi(v.String(d)); return n }

// DefaultTTL is how long a snapshot is kept before it is read again.
const DefaultTTL = 5 * time.Second

// Store reads and writes the settings of a Registry.
type Store struct {
	db  *store.DB
	reg *Registry
	now func() time.Time
	ttl time.Duration

	mu       sync.Mutex
	cached   *Values
	until    time.Time
	watchers []watcher
}

// NewStore makes a Store; now nil means time.Now, ttl 0 means DefaultTTL.
func NewStore(db *store.DB, reg *Registry, now func() time.Time, ttl time.Duration) *Store {
	if now == nil {
		now = time.Now
	}
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	return &Store{db: db, reg: reg, now: now, ttl: ttl}
}

// Registry gives the definitions the store knows.
func (s *Store) Registry() *Registry { return s.reg }

// Values gives the current snapshot, read again once it is older than the
// TTL. Rows of settings no longer defined are ignored.
func (s *Store) Values(ctx context.Context) (Values, error) {
	s.mu.Lock()
	if s.cached != nil && s.now().Before(s.until) {
		v := *s.cached
		s.mu.Unlock()
		return v, nil
	}
	s.mu.Unlock()
	return s.Current(ctx)
}

// Current reads the values from the database now, whatever the cache
// holds, and renews the cache: for work that must see a change another
// process saved a moment ago (the recomputation a change queues).
func (s *Store) Current(ctx context.Context) (Values, error) {
	m, bad := map[string]string{}, map[string]stored{}
	err := store.Each(ctx, s.db, `SELECT name, value FROM settings`, func(rows store.Rows) error {
		var name, value string
		if err := rows.Scan(&name, &value); err != nil {
			return err
		}
		if d, ok := s.reg.Lookup(name); ok {
			// A value stored by an older version that no longer passes
			// the check falls back to the default rather than break pages;
			// Problem tells it.
			if checked, err := d.Check(value); err == nil {
				m[name] = checked
			} else {
				bad[name] = stored{value: value, err: err}
			}
		}
		return nil
	})
	if err != nil {
		return Values{}, fmt.Errorf("settings: read: %w", err)
	}
	v := Values{reg: s.reg, m: m, bad: bad}
	s.mu.Lock()
	s.cached, s.until = &v, s.now().Add(s.ttl)
	s.mu.Unlock()
	return v, nil
}

// OnChange has fn called in the transaction of every Set that changes the
// value of one of the definitions (a value stored that differs from the one
// before, the default counting for none): a feature queues the work the
// change needs in the same transaction, so it is neither lost nor done
// twice.
func (s *Store) OnChange(defs []Definition, fn func(ctx context.Context, tx *store.Tx) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.watchers = append(s.watchers, watcher{defs: defs, fn: fn})
}

type watcher struct {
	defs []Definition
	fn   func(ctx context.Context, tx *store.Tx) error
}

// changed reports whether Set changes the stored value of one of defs.
func (s *Store) changed(ctx context.Context, tx *store.Tx, defs []Definition, checked map[string]string) (bool, error) {
	for _, d := range defs {
		v, ok := checked[d.Name]
		if !ok {
			continue
		}
		var was string
		err := tx.QueryRow(ctx, `SELECT value FROM settings WHERE name = $1`, d.Name).Scan(&was)
		switch {
		case errors.Is(err, store.ErrNoRows):
			was = d.Default
			if rd, ok := s.reg.Lookup(d.Name); ok {
				was = rd.Default
			}
		case err != nil:
			return false, fmt.Errorf("settings: read %s: %w", d.Name, err)
		}
		if was != v {
			return true, nil
		}
	}
	return false, nil
}

// Set validates and stores several values at once: all of them or, when one
// is refused, none. The error is an *i18n.InvalidError with every refused
// setting's problems, in the order of the registry.
func (s *Store) Set(ctx context.Context, changes map[string]string) error {
	checked := map[string]string{}
	var problems i18n.Problems
	for name := range changes {
		if _, ok := s.reg.Lookup(name); !ok {
			problems = append(problems, i18n.Problem{Field: name, Message: i18n.M("settings.error.unknown", "Name", name)})
		}
	}
	for _, d := range s.reg.defs {
		value, ok := changes[d.Name]
		if !ok {
			continue
		}
		v, err := d.Check(value)
		var invalid *i18n.InvalidError
		switch {
		case errors.As(err, &invalid):
			problems = append(problems, invalid.Problems...)
			continue
		case err != nil:
			return err
		}
		checked[d.Name] = v
	}
	if err := problems.Err(ErrInvalid); err != nil {
		return err
	}
	now := s.now()
	s.mu.Lock()
	watchers := slices.Clone(s.watchers)
	s.mu.Unlock()
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		// Which watchers the change concerns, before it is written.
		var call []watcher
		for _, w := range watchers {
			yes, err := s.changed(ctx, tx, w.defs, checked)
			if err != nil {
				return err
			}
			if yes {
				call = append(call, w)
			}
		}
		for name, v := range checked {
			if _, err := tx.Exec(ctx, `INSERT INTO settings (name, value, updated_at) VALUES ($1, $2, $3)
				ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, name, v, now); err != nil {
				return fmt.Errorf("settings: write %s: %w", name, err)
			}
		}
		for _, w := range call {
			if err := w.fn(ctx, tx); err != nil {
				return err
			}
		}
		return nil
	})
	s.mu.Lock()
	s.cached = nil
	s.mu.Unlock()
	return err
}
