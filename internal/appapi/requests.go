package appapi

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/keepstar/keepstar/internal/store"
)

// RequestCounts counts the Application API's requests per app and hour,
// Neucore's AppRequests, for statistics. A busy app must not cost a write
// per request, so the counts gather in memory and Flush adds them to
// app_requests every few seconds (Run) and once more at shutdown. Adding,
// never setting, lets every process of a scaled-out site flush into the
// same rows.
type RequestCounts struct {
	db  *store.DB
	now func() time.Time

	mu       sync.Mutex
	pending  map[appHour]int64
	counters map[int64]prometheus.Counter
	total    *prometheus.CounterVec
}

type appHour struct {
	app  int64
	hour time.Time
}

// NewRequestCounts makes the counts; now nil means time.Now.
func NewRequestCounts(db *store.DB, now func() time.Time) *RequestCounts {
	if now == nil {
		now = time.Now
	}
	return &RequestCounts{db: db, now: now, pending: map[appHour]int64{}, counters: map[int64]prometheus.Counter{},
		total: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "keepstar_api_requests_total",
			Help: "Application API requests this process served, by app id (authenticated requests with the " +
				"operation's role, those refused by the rate limit included)."}, []string{"app"})}
}

// Collectors are the metrics to register.
func (c *RequestCounts) Collectors() []prometheus.Collector { return []prometheus.Collector{c.total} }

// Add counts one request of an app.
func (c *RequestCounts) Add(appID int64) {
	if c == nil {
		return
	}
	k := appHour{app: appID, hour: c.now().UTC().Truncate(time.Hour)}
	c.mu.Lock()
	c.pending[k]++
	// The series of an app, kept: finding it by label costs more than
	// the rest of Add. Apps are few; the label's values with them.
	ctr, ok := c.counters[appID]
	if !ok {
		ctr = c.total.WithLabelValues(strconv.FormatInt(appID, 10))
		c.counters[appID] = ctr
	}
	c.mu.Unlock()
	ctr.Inc()
}

// addSQL adds to an app's hour, unless the app was deleted meanwhile.
const addSQL = `INSERT INTO app_requests (app_id, hour, requests)
SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM apps WHERE id = $1)
ON CONFLICT (app_id, hour) DO UPDATE SET requests = app_requests.requests + excluded.requests`

// Flush adds the counts gathered since the last flush to app_requests, in
// one transaction. When it fails, the counts are kept for the next.
func (c *RequestCounts) Flush(ctx context.Context) error {
	c.mu.Lock()
	pending := c.pending
	c.pending = map[appHour]int64{}
	c.mu.Unlock()
	if len(pending) == 0 {
		return nil
	}
	err := c.db.InTx(ctx, func(tx *store.Tx) error {
		for k, n := range pending {
			if _, err := tx.Exec(ctx, addSQL, k.app, k.hour, n); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		c.mu.Lock()
		for k, n := range pending {
			c.pending[k] += n
		}
		c.mu.Unlock()
		return fmt.Errorf("apps: store request counts: %w", err)
	}
	return nil
}

// FlushEvery is how often Run flushes.
const FlushEvery = 5 * time.Second

// Run flushes every interval until ctx ends; the last flush, once the
// server stopped taking requests, is the caller's.
func (c *RequestCounts) Run(ctx context.Context, every time.Duration, logger *slog.Logger) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			// A flush under way finishes even when ctx ends: cut off,
			// its counts would come back after the caller's last flush.
			flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), every)
			if err := c.Flush(flushCtx); err != nil {
				logger.WarnContext(ctx, "app request statistics not stored yet", "error", err)
			}
			cancel()
		}
	}
}

// HourlyRequests is one row of the statistics.
type HourlyRequests struct {
	AppID    int64
	Hour     time.Time
	Requests int64
}

// Requests lists the stored statistics of an app from an hour on, oldest
// first.
func (c *RequestCounts) Requests(ctx context.Context, appID int64, from time.Time) ([]HourlyRequests, error) {
	out, err := store.Collect(ctx, c.db, `SELECT app_id, hour, requests FROM app_requests WHERE app_id = $1 AND hour >= $2 ORDER BY hour`,
		func(rows store.Rows, h *HourlyRequests) error {
			err := rows.Scan(&h.AppID, &h.Hour, &h.Requests)
			h.Hour = h.Hour.UTC()
			return err
		}, appID, from.UTC().Truncate(time.Hour))
	if err != nil {
		return nil, fmt.Errorf("apps: request statistics: %w", err)
	}
	return out, nil
}
