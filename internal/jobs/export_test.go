package jobs

import "log/slog"

// RiverLogForTest exposes the River log filter to the tests.
func RiverLogForTest(h slog.Handler) slog.Handler { return riverLog{h} }
