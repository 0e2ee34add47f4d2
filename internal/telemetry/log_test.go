package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"
)

func TestContextAttributesReachEveryLine(t *testing.T) {
	var buf bytes.Buffer
	logger, err := NewLogger(&buf, "json", "info")
	if err != nil {
		t.Fatal(err)
	}
	ctx := WithAttrs(context.Background(), slog.String("request_id", "r1"))
	ctx = WithAttrs(ctx, slog.Int64("job_id", 7))
	logger.With("component", "web").InfoContext(ctx, "hello")
	logger.DebugContext(ctx, "dropped below the level")

	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("want exactly one JSON line, got %q: %v", buf.String(), err)
	}
	if line["request_id"] != "r1" || line["job_id"] != float64(7) || line["component"] != "web" {
		t.Errorf("line = %v", line)
	}
}

func TestBadLoggerSettings(t *testing.T) {
	if _, err := NewLogger(&bytes.Buffer{}, "xml", "info"); err == nil {
		t.Error("xml format accepted")
	}
	if _, err := NewLogger(&bytes.Buffer{}, "text", "loud"); err == nil {
		t.Error("unknown level accepted")
	}
}
