package jobs

import "log/slog"

// QuietCancellationForTest exposes the River log filter to the tests.
func QuietCancellationForTest(h slog.Handler) slog.Handler { return quietCancellation{h} }
