package bus

import (
	"context"
	"log/slog"
	"time"
)

// Logging logs every handled message at debug level: subject, stream
// position, delivery count, duration and error — never the payload or
// headers, which may carry personal data.
func Logging(logger *slog.Logger) Middleware {
	if logger == nil {
		logger = slog.Default()
	}
	return func(next Handler) Handler {
		return func(ctx context.Context, m *Message) error {
			if !logger.Enabled(ctx, slog.LevelDebug) {
				return next(ctx, m)
			}
			start := time.Now()
			err := next(ctx, m)
			attrs := append(logAttrs(m), slog.Duration("took", time.Since(start)))
			if err != nil {
				attrs = append(attrs, slog.String("class", ErrorClass(err)), slog.Any("err", err))
			}
			logger.DebugContext(ctx, "bus: handled", attrs...)
			return err
		}
	}
}

// logAttrs locates m for a log line: never its payload or headers.
func logAttrs(m *Message) []any {
	return []any{
		slog.String("service", m.service), slog.String("subject", m.Subject),
		slog.String("stream", m.Stream), slog.Uint64("seq", m.StreamSeq), slog.Int("delivered", m.Delivered),
	}
}
