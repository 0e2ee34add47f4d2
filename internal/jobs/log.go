package jobs

import (
	"context"
	"log/slog"
)

// quietCancellation passes River's log records on, except that errors caused
// only by the queue being stopped ("context canceled" while a maintenance
// service was mid-query) are logged at debug level: they are the normal
// sound of a shutdown, not a fault an operator must look into.
type quietCancellation struct{ slog.Handler }

func (h quietCancellation) Handle(ctx context.Context, r slog.Record) error {
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
			debug := slog.NewRecord(r.Time, slog.LevelDebug, r.Message, r.PC)
			r.Attrs(func(a slog.Attr) bool { debug.AddAttrs(a); return true })
			r = debug
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h quietCancellation) WithAttrs(attrs []slog.Attr) slog.Handler {
	return quietCancellation{h.Handler.WithAttrs(attrs)}
}

func (h quietCancellation) WithGroup(name string) slog.Handler {
	return quietCancellation{h.Handler.WithGroup(name)}
}
