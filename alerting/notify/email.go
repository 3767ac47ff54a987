package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"

	"github.com/jackcode/igmon/alerting/dispatch"
	"github.com/jackcode/igmon/alerting/internal/deliveryerr"
)

// EmailConfig configures SMTP delivery.
type EmailConfig struct {
	Addr     string // host:port of the submission server, e.g. smtp.example.com:587
	From     string
	To       []string
	Username string // optional; PLAIN auth, only after STARTTLS
	Password string
	// TLSConfig verifies the server; ServerName defaults to Addr's host.
	TLSConfig *tls.Config
	// AllowPlaintext permits servers without STARTTLS (never with
	// credentials). Off by default: alert texts leave the network.
	AllowPlaintext bool
	Hello          string // EHLO name; default "localhost"
}

// emailNotifier sends one message per notification with net/smtp, upgrading the
// connection with STARTTLS before authenticating.
type emailNotifier struct {
	cfg  EmailConfig
	host string
	now  func() time.Time
}

// NewEmail returns an SMTP notifier.
func NewEmail(cfg EmailConfig) (dispatch.Notifier, error) {
	host, _, err := net.SplitHostPort(cfg.Addr)
	switch {
	case cfg.Addr == "" || err != nil:
		return nil, fmt.Errorf("%w: EmailConfig.Addr must be host:port", ErrInvalidConfig)
	case cfg.From == "":
		return nil, fmt.Errorf("%w: EmailConfig.From is required", ErrInvalidConfig)
	case len(cfg.To) == 0:
		return nil, fmt.Errorf("%w: EmailConfig.To is required", ErrInvalidConfig)
	}
	if _, err := mail.ParseAddress(cfg.From); err != nil {
		return nil, fmt.Errorf("%w: EmailConfig.From: %v", ErrInvalidConfig, err)
	}
	for i, to := range cfg.To {
		if _, err := mail.ParseAddress(to); err != nil {
			return nil, fmt.Errorf("%w: EmailConfig.To[%d]: %v", ErrInvalidConfig, i, err)
		}
	}
	if cfg.Hello == "" {
		cfg.Hello = "localhost"
	}
	return &emailNotifier{cfg: cfg, host: host, now: time.Now}, nil
}

// Notify implements dispatch.Notifier.
func (e *emailNotifier) Notify(ctx context.Context, n *dispatch.Notification) error {
	err := e.send(ctx, n)
	if err == nil {
		return nil
	}
	msg := err.Error()
	if e.cfg.Password != "" {
		msg = strings.ReplaceAll(msg, e.cfg.Password, "REDACTED")
	}
	out := errors.New("email: " + msg)
	var tp *textproto.Error
	if errors.As(err, &tp) && tp.Code >= 500 {
		return deliveryerr.Permanent(out)
	}
	var perm *permanentErr
	if errors.As(err, &perm) {
		return deliveryerr.Permanent(out)
	}
	return out
}

type permanentErr struct{ msg string }

func (p *permanentErr) Error() string { return p.msg }

func (e *emailNotifier) send(ctx context.Context, n *dispatch.Notification) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", e.cfg.Addr)
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	c, err := smtp.NewClient(conn, e.host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	if err := c.Hello(e.cfg.Hello); err != nil {
		return err
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		tc := e.cfg.TLSConfig.Clone()
		if tc == nil {
			tc = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		if tc.ServerName == "" {
			tc.ServerName = e.host
		}
		if err := c.StartTLS(tc); err != nil {
			return err
		}
	} else if !e.cfg.AllowPlaintext || e.cfg.Username != "" {
		return &permanentErr{"server does not offer STARTTLS"}
	}
	if e.cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", e.cfg.Username, e.cfg.Password, e.host)); err != nil {
			return err
		}
	}
	if err := c.Mail(e.cfg.From); err != nil {
		return err
	}
	for _, to := range e.cfg.To {
		if err := c.Rcpt(to); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(e.message(n)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

func (e *emailNotifier) message(n *dispatch.Notification) []byte {
	var b strings.Builder
	h := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	h("From", e.cfg.From)
	h("To", strings.Join(e.cfg.To, ", "))
	h("Subject", mime.QEncoding.Encode("utf-8", title(n)))
	h("Date", e.now().Format(time.RFC1123Z))
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=utf-8")
	h("Content-Transfer-Encoding", "8bit")
	h("X-Igmon-Group-Key", mime.QEncoding.Encode("utf-8", n.GroupKey))
	b.WriteString("\r\n")
	body := plainText(n)
	if n.ExternalURL != "" {
		body += "\n\n" + n.ExternalURL
	}
	// Normalise line ends; the DATA writer dot-stuffs.
	b.WriteString(strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\n", "\r\n"))
	b.WriteString("\r\n")
	return []byte(b.String())
}
