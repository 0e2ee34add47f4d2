package jobs

import (
	"context"
	"log/slog"
)

// riverLog passes River's (and River UI's) log records on, with two changes. River's
// own information (a client started, a migration applied, the producer's
// job counts every few seconds) is its internals, not an event of the site:
// it is logged at debug level, so an operator sees it when asking for
// debug and otherwise reads Keepstar's own lines (the database migrated,
// a job failed). And errors caused
// only by the queue being stopped ("context canceled" while a maintenance
// service was mid-query) are logged at debug level: they are the normal
// sound of a shutdown, not a fault an operator must look into.
type riverLog struct{ slog.Handler }

func (h riverLog) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < slog.LevelWarn && r.Level > slog.LevelDebug {
		r = atDebug(r)
	}
	if r.Level >= slog.LevelError {
		canceled := false
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "error" && a.Value.String() == context.Canceled.Error() {
				canceled = true
				return false
			}
			return true
		})
		if canceled {
			if !h.Handler.Enabled(ctx, slog.LevelDebug) {
				return nil
			}
			r = atDebug(r)
		}
	}
	return h.Handler.Handle(ctx, r)
}

// Enabled lets River's information through to Handle only when debug is on:
// the handler's own level would pass it and Handle would demote it anyway.
func (h riverLog) Enabled(ctx context.Context, level slog.Level) bool {
	if level < slog.LevelWarn {
		level = slog.LevelDebug
	}
	return h.Handler.Enabled(ctx, level)
}

// atDebug is r at debug level.
func atDebug(r slog.Record) slog.Record {
	debug := slog.NewRecord(r.Time, slog.LevelDebug, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool { debug.AddAttrs(a); return true })
	return debug
}

func (h riverLog) WithAttrs(attrs []slog.Attr) slog.Handler {
	return riverLog{h.Handler.WithAttrs(attrs)}
}

func (h riverLog) WithGroup(name string) slog.Handler {
	return riverLog{h.Handler.WithGroup(name)}
}
