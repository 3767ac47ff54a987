package notify

import (
	"context"
	"log/slog"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/dispatch"
)

// slogNotifier logs notifications: firing at Warn (Error for severity page),
// resolved at Info. Useful as the last-resort fallback and in development.
type slogNotifier struct {
	l *slog.Logger
}

// NewSlog returns a slog notifier; nil means slog.Default().
func NewSlog(l *slog.Logger) dispatch.Notifier {
	if l == nil {
		l = slog.Default()
	}
	return &slogNotifier{l: l}
}

// Notify implements dispatch.Notifier.
func (s *slogNotifier) Notify(ctx context.Context, n *dispatch.Notification) error {
	for i := range n.Alerts {
		a := &n.Alerts[i]
		level := slog.LevelInfo
		if a.State == alerting.StateFiring {
			level = slog.LevelWarn
			if a.Labels["severity"] == "page" || a.Labels["severity"] == "critical" {
				level = slog.LevelError
			}
		}
		s.l.Log(ctx, level, "alert "+a.State.String(),
			slog.String("alertname", a.Labels[alerting.LabelAlertName]),
			slog.String("summary", summary(a)),
			slog.String("labels", a.Labels.String()),
			slog.Float64("value", a.Value),
			slog.String("receiver", n.Receiver),
			slog.String("reason", n.Reason))
	}
	return nil
}
