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
	"unicode/utf8"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/dispatch"
	"github.com/jackcode/igmon/alerting/internal/deliveryerr"
)

// defaultTelegramURL is the Bot API base.
const defaultTelegramURL = "https://api.telegram.org"

// TelegramConfig configures the Bot API sendMessage notifier.
type TelegramConfig struct {
	Token    string // bot token; it travels in the URL path
	ChatID   string // numeric id or "@channel"
	ThreadID int    // forum topic, optional
	URL      string // default defaultTelegramURL
	Silent   bool   // disable_notification
}

// telegramNotifier sends HTML messages: Markdown's reserved characters in host
// names and error texts make Telegram reject messages, HTML needs only
// < > & escaped.
type telegramNotifier struct {
	cfg    TelegramConfig
	url    string
	chatID any
	s      sender
}

// NewTelegram returns a Telegram notifier.
func NewTelegram(cfg TelegramConfig, opts ...Option) (dispatch.Notifier, error) {
	switch {
	case cfg.Token == "":
		return nil, fmt.Errorf("%w: TelegramConfig.Token is required", ErrInvalidConfig)
	case cfg.ChatID == "":
		return nil, fmt.Errorf("%w: TelegramConfig.ChatID is required", ErrInvalidConfig)
	}
	if cfg.URL == "" {
		cfg.URL = defaultTelegramURL
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
	return &telegramNotifier{cfg: cfg, chatID: chat,
		url: strings.TrimRight(cfg.URL, "/") + "/bot" + cfg.Token + "/sendMessage",
		s:   sender{name: "telegram", opts: o, secrets: []string{cfg.Token}}}, nil
}

// telegramMessage is the sendMessage body. ParseMode is empty (and
// omitted) for a plain-text message.
type telegramMessage struct {
	ChatID              any                 `json:"chat_id"`
	Text                string              `json:"text"`
	ParseMode           string              `json:"parse_mode,omitempty"`
	MessageThreadID     int                 `json:"message_thread_id,omitempty"`
	DisableNotification bool                `json:"disable_notification,omitempty"`
	LinkPreviewOptions  *telegramLinkOption `json:"link_preview_options,omitempty"`
}

// telegramLinkOption turns link previews off.
type telegramLinkOption struct {
	IsDisabled bool `json:"is_disabled"`
}

// telegramMaxText is sendMessage's limit on text: 4096 characters after
// entity parsing, counted as UTF-16 code units (an emoji outside the Basic
// Multilingual Plane counts 2).
const telegramMaxText = 4096

// message builds the sendMessage body for n: HTML with < > & " '
// escaped, at most telegramMaxText UTF-16 code units of HTML source (which
// bounds the parsed text too). A message too long keeps the title and as
// many whole alert lines as fit, then says how many more there are; an
// alert line too long on its own is cut between characters, never inside
// a surrogate pair, an entity or a tag, and open tags are closed.
func (t *telegramNotifier) message(n *dispatch.Notification) telegramMessage {
	return telegramMessage{ChatID: t.chatID, Text: telegramHTML(n), ParseMode: "HTML",
		MessageThreadID: t.cfg.ThreadID, DisableNotification: t.cfg.Silent,
		LinkPreviewOptions: &telegramLinkOption{IsDisabled: true}}
}

func telegramHTML(n *dispatch.Notification) string {
	var b strings.Builder
	b.WriteString("<b>" + html.EscapeString(title(n)) + "</b>")
	used := utf16Len(b.String())
	// Lines are rendered only while they may fit: a group of thousands
	// of alerts costs no more than one message.
	for i := range n.Alerts {
		l := telegramLine(&n.Alerts[i])
		rest := len(n.Alerts) - i - 1
		// A line kept leaves room for the note about the lines after it,
		// so the note always fits where the first line that does not fit
		// would have gone. Every line is longer than the note, so the
		// reservation never leaves out lines that would all have fit.
		if used+utf16Len(l)+utf16Len(moreAlerts(rest)) > telegramMaxText {
			if i == 0 {
				note := moreAlerts(rest)
				return truncateHTML(b.String()+l, telegramMaxText-utf16Len(note)) + note
			}
			b.WriteString(moreAlerts(rest + 1))
			break
		}
		b.WriteString(l)
		used += utf16Len(l)
	}
	return truncateHTML(b.String(), telegramMaxText)
}

func telegramLine(a *alerting.Alert) string {
	l := "\n• <i>" + a.State.String() + "</i> " + html.EscapeString(summary(a))
	if r := a.Annotations["runbook_url"]; r != "" {
		l += "\n  <a href=\"" + html.EscapeString(r) + "\">runbook</a>"
	}
	return l
}

func moreAlerts(n int) string {
	if n <= 0 {
		return ""
	}
	return fmt.Sprintf("\n… and %d more", n)
}

type telegramAnswer struct {
	OK          bool   `json:"ok"`
	ErrorCode   int    `json:"error_code"`
	Description string `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

// Notify implements dispatch.Notifier. When Telegram answers 400 "Bad
// Request: can't parse entities" (the HTML did not parse: a tag or link
// Telegram does not accept), Notify sends the same text once more at once
// as plain text, tags stripped and entities unescaped, rather than lose
// the alert; every other 400 is permanent.
func (t *telegramNotifier) Notify(ctx context.Context, n *dispatch.Notification) error {
	msg := t.message(n)
	unparsable, err := t.send(ctx, msg)
	if !unparsable {
		return err
	}
	msg.ParseMode, msg.Text = "", telegramPlain(msg.Text)
	if _, perr := t.send(ctx, msg); perr != nil {
		return fmt.Errorf("%v; plain-text retry: %w", err, perr)
	}
	return nil
}

// send posts msg and classifies the answer; unparsable reports Telegram's
// "can't parse entities".
func (t *telegramNotifier) send(ctx context.Context, msg telegramMessage) (unparsable bool, err error) {
	body, resp, err := t.s.post(ctx, t.url, nil, msg)
	var ans telegramAnswer
	if body != nil && json.Unmarshal(body, &ans) == nil && !ans.OK && ans.ErrorCode != 0 {
		e := errors.New("telegram: " + t.s.mask(fmt.Sprintf("%d %s", ans.ErrorCode, ans.Description)))
		switch {
		case ans.Parameters.RetryAfter > 0:
			return false, deliveryerr.WithRetryAfter(e, time.Duration(ans.Parameters.RetryAfter)*time.Second)
		case ans.ErrorCode == http.StatusTooManyRequests || ans.ErrorCode >= 500:
			return false, e
		default:
			unparsable = ans.ErrorCode == http.StatusBadRequest && msg.ParseMode != "" &&
				strings.Contains(strings.ToLower(ans.Description), "can't parse entities")
			return unparsable, deliveryerr.Permanent(e)
		}
	}
	if err != nil {
		return false, err
	}
	if !ans.OK && resp != nil {
		return false, errors.New("telegram: answer without ok:true")
	}
	return false, nil
}

// utf16Len is the length of s in UTF-16 code units, as Telegram counts.
// An invalid byte counts 1: JSON encoding turns it into U+FFFD.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

// htmlToken returns the first token of Telegram HTML s: a tag ("<b>",
// "</a>", with its name and whether it closes), an entity ("&amp;") or one
// character. A stray '<' or '&' is a character.
func htmlToken(s string) (tok, tag string, closing bool) {
	switch s[0] {
	case '<':
		if j := strings.IndexByte(s, '>'); j > 0 {
			tok = s[:j+1]
			name := strings.TrimPrefix(tok[1:j], "/")
			if k := strings.IndexAny(name, " \t\n/"); k >= 0 {
				name = name[:k]
			}
			return tok, name, strings.HasPrefix(tok, "</")
		}
	case '&':
		if j := strings.IndexByte(s[:min(len(s), 12)], ';'); j > 1 {
			return s[:j+1], "", false
		}
	}
	_, size := utf8.DecodeRuneInString(s)
	return s[:size], "", false
}

// truncateHTML cuts Telegram HTML s to at most limit UTF-16 code units of
// source, between tokens (so never inside a surrogate pair, an entity or
// a tag), marks the cut with "…" and closes the tags left open.
func truncateHTML(s string, limit int) string {
	if utf16Len(s) <= limit {
		return s
	}
	if limit < 1 {
		return ""
	}
	var open []string // names of the open tags, innermost last
	used, closers, i := 0, 0, 0
	for i < len(s) {
		tok, tag, closing := htmlToken(s[i:])
		next := closers
		switch {
		case tag != "" && closing && len(open) > 0 && open[len(open)-1] == tag:
			next -= len("</" + tag + ">")
		case tag != "" && !closing:
			next += len("</" + tag + ">")
		}
		if used+utf16Len(tok)+next+1 > limit { // 1: the "…"
			break
		}
		switch {
		case next < closers:
			open = open[:len(open)-1]
		case next > closers:
			open = append(open, tag)
		}
		used, closers = used+utf16Len(tok), next
		i += len(tok)
	}
	var b strings.Builder
	b.WriteString(s[:i])
	b.WriteString("…")
	for j := len(open) - 1; j >= 0; j-- {
		b.WriteString("</" + open[j] + ">")
	}
	return b.String()
}

// telegramPlain turns Telegram HTML into the plain text it displays: tags
// dropped, entities unescaped, a link's target written after its label
// ("runbook (https://…)"); cut to telegramMaxText.
func telegramPlain(s string) string {
	var b strings.Builder
	var hrefs []string
	for i := 0; i < len(s); {
		tok, tag, closing := htmlToken(s[i:])
		i += len(tok)
		switch {
		case tag == "a" && !closing:
			hrefs = append(hrefs, html.UnescapeString(hrefOf(tok)))
		case tag == "a" && closing && len(hrefs) > 0:
			if h := hrefs[len(hrefs)-1]; h != "" {
				b.WriteString(" (" + h + ")")
			}
			hrefs = hrefs[:len(hrefs)-1]
		case tag != "":
		case tok[0] == '&':
			b.WriteString(html.UnescapeString(tok))
		default:
			b.WriteString(tok)
		}
	}
	return truncateText(b.String(), telegramMaxText)
}

func hrefOf(tag string) string {
	_, v, ok := strings.Cut(tag, `href="`)
	if !ok {
		return ""
	}
	v, _, _ = strings.Cut(v, `"`)
	return v
}

// truncateText cuts plain text to at most limit UTF-16 code units, between
// runes, marking the cut with "…".
func truncateText(s string, limit int) string {
	if utf16Len(s) <= limit {
		return s
	}
	used := 1 // the "…"
	for i, r := range s {
		w := 1
		if r >= 0x10000 {
			w = 2
		}
		if used+w > limit {
			return s[:i] + "…"
		}
		used += w
	}
	return s
}
