package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"strings"
	"time"

	"github.com/jackcode/igmon/alerting"
)

// DefaultTelegramURL is the Bot API base.
const DefaultTelegramURL = "https://api.telegram.org"

// TelegramConfig configures the Bot API sendMessage notifier.
type TelegramConfig struct {
	Token    string // bot token; it travels in the URL path
	ChatID   string // numeric id or "@channel"
	ThreadID int    // forum topic, optional
	URL      string // default DefaultTelegramURL
	Silent   bool   // disable_notification
}

// Telegram sends HTML messages: Markdown's reserved characters in host
// names and error texts make Telegram reject messages, HTML needs only
// < > & escaped.
type Telegram struct {
	cfg    TelegramConfig
	url    string
	chatID any
	s      sender
}

// NewTelegram returns a Telegram notifier.
func NewTelegram(cfg TelegramConfig, opts ...Option) (*Telegram, error) {
	switch {
	case cfg.Token == "":
		return nil, fmt.Errorf("%w: TelegramConfig.Token is required", ErrInvalidConfig)
	case cfg.ChatID == "":
		return nil, fmt.Errorf("%w: TelegramConfig.ChatID is required", ErrInvalidConfig)
	}
	if cfg.URL == "" {
		cfg.URL = DefaultTelegramURL
	}
	if err := requireURL("TelegramConfig.URL", cfg.URL); err != nil {
		return nil, err
	}
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	var chat any = cfg.ChatID
	var id int64
	if _, err := fmt.Sscan(cfg.ChatID, &id); err == nil && fmt.Sprint(id) == cfg.ChatID {
		chat = id
	}
	return &Telegram{cfg: cfg, chatID: chat,
		url: strings.TrimRight(cfg.URL, "/") + "/bot" + cfg.Token + "/sendMessage",
		s:   sender{name: "telegram", opts: o, secrets: []string{cfg.Token}}}, nil
}

// TelegramMessage is the sendMessage body.
type TelegramMessage struct {
	ChatID              any                 `json:"chat_id"`
	Text                string              `json:"text"`
	ParseMode           string              `json:"parse_mode"`
	MessageThreadID     int                 `json:"message_thread_id,omitempty"`
	DisableNotification bool                `json:"disable_notification,omitempty"`
	LinkPreviewOptions  *TelegramLinkOption `json:"link_preview_options,omitempty"`
}

// TelegramLinkOption turns link previews off.
type TelegramLinkOption struct {
	IsDisabled bool `json:"is_disabled"`
}

// Message builds the sendMessage body for n; text is HTML-escaped and cut
// to Telegram's 4096 characters.
func (t *Telegram) Message(n *alerting.Notification) TelegramMessage {
	var b strings.Builder
	b.WriteString("<b>" + html.EscapeString(title(n)) + "</b>")
	for i := range n.Alerts {
		a := &n.Alerts[i]
		b.WriteString("\n• <i>" + a.State.String() + "</i> " + html.EscapeString(summary(a)))
		if r := a.Annotations["runbook_url"]; r != "" {
			b.WriteString("\n  <a href=\"" + html.EscapeString(r) + "\">runbook</a>")
		}
	}
	text := b.String()
	if len([]rune(text)) > 4096 {
		// Cutting HTML could break a tag: fall back to escaped plain text.
		text = truncateRunes(html.EscapeString(plainText(n)), 4096)
	}
	return TelegramMessage{ChatID: t.chatID, Text: text, ParseMode: "HTML",
		MessageThreadID: t.cfg.ThreadID, DisableNotification: t.cfg.Silent,
		LinkPreviewOptions: &TelegramLinkOption{IsDisabled: true}}
}

type telegramAnswer struct {
	OK          bool   `json:"ok"`
	ErrorCode   int    `json:"error_code"`
	Description string `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

// Notify implements alerting.Notifier.
func (t *Telegram) Notify(ctx context.Context, n *alerting.Notification) error {
	body, resp, err := t.s.post(ctx, t.url, nil, t.Message(n))
	var ans telegramAnswer
	if body != nil && json.Unmarshal(body, &ans) == nil && !ans.OK && ans.ErrorCode != 0 {
		msg := errors.New("telegram: " + t.s.mask(fmt.Sprintf("%d %s", ans.ErrorCode, ans.Description)))
		switch {
		case ans.Parameters.RetryAfter > 0:
			return alerting.WithRetryAfter(msg, time.Duration(ans.Parameters.RetryAfter)*time.Second)
		case ans.ErrorCode == http.StatusTooManyRequests || ans.ErrorCode >= 500:
			return msg
		default:
			return alerting.Permanent(msg)
		}
	}
	if err != nil {
		return err
	}
	if !ans.OK && resp != nil {
		return errors.New("telegram: answer without ok:true")
	}
	return nil
}
