package services

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/keepstar/keepstar/internal/secrets"
	"github.com/keepstar/keepstar/internal/store"
)

// Queue puts jobs in the queue in the caller's transaction (*jobs.Queue).
type Queue interface {
	InsertTx(ctx context.Context, tx *store.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	InsertManyTx(ctx context.Context, tx *store.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
	// RetryTx makes a job waiting for its time available at once.
	RetryTx(ctx context.Context, tx *store.Tx, id int64) (*rivertype.JobRow, error)
}

// Options build the Services.
type Options struct {
	DB    *store.DB
	Queue Queue
	// SecretKey is the site's key; instances' secrets are sealed under a
	// key derived from it.
	SecretKey []byte
	// Types are the connector types the site knows.
	Types  []Type
	Env    Env
	Logger *slog.Logger
	Now    func() time.Time
}

// Services is the framework of one process: the instances, their live
// connectors and the reconciler.
type Services struct {
	db      *store.DB
	queue   Queue
	inst    *instances
	types   map[string]Type
	order   []string // the types' names in the order given
	env     Env
	logger  *slog.Logger
	now     func() time.Time
	metrics *Metrics

	// linkBox seals the state of a member's OAuth2 link under way.
	linkBox *secrets.Box

	mu   sync.Mutex
	open map[int64]openConnector
}

// openConnector is an instance's connector as built from its settings of
// updatedAt.
type openConnector struct {
	updatedAt time.Time
	conn      Connector
}

// New builds the Services.
func New(o Options) (*Services, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Env.Now == nil {
		o.Env.Now = o.Now
	}
	if o.Env.Logger == nil {
		o.Env.Logger = o.Logger
	}
	if o.Env.DB == nil {
		o.Env.DB = o.DB
	}
	if o.Env.HTTP == nil {
		o.Env.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	box, err := secrets.New(o.SecretKey, secretsPurpose)
	if err != nil {
		return nil, err
	}
	s := &Services{db: o.DB, queue: o.Queue, types: map[string]Type{}, logger: o.Logger, now: o.Now,
		metrics: NewMetrics(), open: map[int64]openConnector{}}
	o.Env.Metrics = s.metrics
	s.env = o.Env
	s.env.SecretKey = o.SecretKey
	s.metrics.status = s.statusBySlug
	for _, t := range o.Types {
		if _, dup := s.types[t.Name]; dup || t.Name == "" || t.Open == nil {
			return nil, fmt.Errorf("services: type %q given twice, unnamed or without Open", t.Name)
		}
		s.types[t.Name] = t
		s.order = append(s.order, t.Name)
	}
	s.inst = &instances{db: o.DB, box: box, types: s.types, now: o.Now}
	if s.linkBox, err = secrets.New(o.SecretKey, "service link state"); err != nil {
		return nil, err
	}
	return s, nil
}

// Types lists the connector types, in the order given.
func (s *Services) Types() []Type {
	out := make([]Type, 0, len(s.order))
	for _, n := range s.order {
		out = append(out, s.types[n])
	}
	return out
}

// Type gives a connector type by name.
func (s *Services) Type(name string) (Type, bool) {
	t, ok := s.types[name]
	return t, ok
}

// Metrics are the services' Prometheus collectors.
func (s *Services) Metrics() *Metrics { return s.metrics }

// Instances lists every instance.
func (s *Services) Instances(ctx context.Context) ([]Instance, error) { return s.inst.List(ctx) }

// Instance gives an instance by slug.
func (s *Services) Instance(ctx context.Context, slug string) (Instance, error) {
	return s.inst.BySlug(ctx, slug)
}

// InstanceByID gives an instance by id.
func (s *Services) InstanceByID(ctx context.Context, id int64) (Instance, error) {
	return s.inst.Get(ctx, id)
}

// Validate checks an instance's input (id 0: a new one).
func (s *Services) Validate(ctx context.Context, id int64, in Input) error {
	return s.inst.Validate(ctx, id, in).Err(ErrInvalid)
}

// Create stores a new instance, disabled until it is complete and its
// admin enables it.
func (s *Services) Create(ctx context.Context, in Input) (Instance, error) {
	inst, err := s.inst.Create(ctx, in)
	if err == nil {
		s.logger.InfoContext(ctx, "service created", "service", inst.Slug, "type", inst.Type)
	}
	return inst, err
}

// Update changes an instance. When it is enabled, every linked account is
// synced: its mapping or name formats may have changed.
func (s *Services) Update(ctx context.Context, id int64, in Input) (Instance, error) {
	inst, err := s.inst.Update(ctx, id, in)
	if err != nil {
		return inst, err
	}
	if inst.Enabled {
		if _, err := s.SyncAll(ctx, inst.ID, "service changed"); err != nil {
			return inst, err
		}
	}
	return inst, nil
}

// Delete removes an instance (see instances.Delete).
func (s *Services) Delete(ctx context.Context, id int64) error {
	if err := s.inst.Delete(ctx, id); err != nil {
		return err
	}
	s.mu.Lock()
	if old, ok := s.open[id]; ok {
		s.closeConnector(ctx, id, old.conn)
	}
	delete(s.open, id)
	s.mu.Unlock()
	return nil
}

// connector gives the live connector of an instance, built again when its
// settings changed.
func (s *Services) connector(ctx context.Context, inst Instance) (Connector, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o, ok := s.open[inst.ID]; ok && o.updatedAt.Equal(inst.UpdatedAt) {
		return o.conn, nil
	}
	t, ok := s.types[inst.Type]
	if !ok {
		return nil, fmt.Errorf("services: %s: unknown type %q", inst.Slug, inst.Type)
	}
	conn, err := t.Open(ctx, inst, s.env)
	if err != nil {
		return nil, fmt.Errorf("services: %s: %w", inst.Slug, err)
	}
	if old, ok := s.open[inst.ID]; ok {
		s.closeConnector(ctx, inst.ID, old.conn)
	}
	s.open[inst.ID] = openConnector{updatedAt: inst.UpdatedAt, conn: conn}
	return conn, nil
}

// closeConnector closes a connector that holds connections (TeamSpeak's
// ServerQuery session) when it is replaced or its instance deleted.
func (s *Services) closeConnector(ctx context.Context, id int64, conn Connector) {
	c, ok := conn.(io.Closer)
	if !ok {
		return
	}
	if err := c.Close(); err != nil {
		s.logger.WarnContext(ctx, "close a service's connection", "instance", id, "error", err)
	}
}

// statusBySlug counts every instance's service accounts, for the metrics.
func (s *Services) statusBySlug(ctx context.Context) (map[string]Status, error) {
	out := map[string]Status{}
	err := store.Each(ctx, s.db, `SELECT i.slug, count(a.account_id), COALESCE(SUM(CASE WHEN a.wanted > a.synced THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN a.status = 'error' THEN 1 ELSE 0 END), 0)
		FROM service_instances i LEFT JOIN service_accounts a ON a.instance_id = i.id GROUP BY i.slug`, func(rows store.Rows) error {
		var slug string
		var st Status
		err := rows.Scan(&slug, &st.Accounts, &st.Pending, &st.Errors)
		out[slug] = st
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("services: status: %w", err)
	}
	return out, nil
}

// equalGroups compares two sorted lists.
func equalGroups(a, b []string) bool { return slices.Equal(a, b) }
