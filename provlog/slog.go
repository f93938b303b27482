package provlog

import (
	"context"
	"log/slog"

	"github.com/scimkit/scim"
)

// NewSlogSink returns a [Sink] that logs each record as one line on l: at
// level Info, or Warn for a failed request, with the record's fields as
// attributes (request_id, tenant, connection_id, client, method, path,
// action, target_id, target_name, status, scim_type, detail, duration,
// and bulk_operations for a bulk request). The body is not logged: logs
// are read more widely than an admin page. It panics if l is nil.
func NewSlogSink(l *slog.Logger) Sink {
	if l == nil {
		panic("provlog: NewSlogSink needs a logger")
	}
	return slogSink{l}
}

type slogSink struct{ l *slog.Logger }

func (s slogSink) Write(ctx context.Context, recs []scim.RequestRecord) error {
	for i := range recs {
		r := &recs[i]
		level := slog.LevelInfo
		if r.Failed() {
			level = slog.LevelWarn
		}
		attrs := []slog.Attr{
			slog.String("request_id", r.RequestID),
			slog.String("tenant", r.Tenant),
			slog.String("connection_id", r.ConnectionID),
			slog.String("client", r.Client),
			slog.String("method", r.Method),
			slog.String("path", r.Path),
			slog.String("action", r.Action),
			slog.String("target_id", r.TargetID),
			slog.String("target_name", r.TargetName),
			slog.Int("status", r.Status),
			slog.Duration("duration", r.Duration),
		}
		if r.Failed() {
			attrs = append(attrs, slog.String("scim_type", r.ScimType), slog.String("detail", r.Detail))
		}
		if r.Operations != nil {
			failed := 0
			for _, op := range r.Operations {
				if op.Status >= 400 {
					failed++
				}
			}
			attrs = append(attrs, slog.Int("bulk_operations", len(r.Operations)), slog.Int("bulk_failed", failed))
		}
		s.l.LogAttrs(ctx, level, "scim request", attrs...)
	}
	return nil
}
