package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/dispatch"
)

const tgSecret = "123456:AAH-telegram-secret"

// tgRequest is a sendMessage body with exactly the documented fields this
// notifier may send: the server rejects anything else.
type tgRequest struct {
	ChatID              any     `json:"chat_id"`
	Text                string  `json:"text"`
	ParseMode           *string `json:"parse_mode"`
	MessageThreadID     int     `json:"message_thread_id"`
	DisableNotification bool    `json:"disable_notification"`
	LinkPreviewOptions  *struct {
		IsDisabled bool `json:"is_disabled"`
	} `json:"link_preview_options"`
}

// tgBot is a Bot API fake: it checks the request shape (POST
// /bot<token>/sendMessage, JSON) and answers with the next reply, repeating
// the last one.
type tgBot struct {
	mu      sync.Mutex
	reqs    []tgRequest
	replies []response
}

func newTGBot(t *testing.T, replies ...response) (*tgBot, *httptest.Server) {
	b := &tgBot{replies: replies}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/bot"+tgSecret+"/sendMessage" ||
			!strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			t.Errorf("request %s %s (%s), want POST /bot<token>/sendMessage JSON", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
		}
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		var m tgRequest
		if err := dec.Decode(&m); err != nil {
			t.Errorf("sendMessage body: %v", err)
		}
		b.mu.Lock()
		b.reqs = append(b.reqs, m)
		resp := b.replies[min(len(b.reqs)-1, len(b.replies)-1)]
		b.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(resp.status)
		io.WriteString(w, resp.body)
	}))
	t.Cleanup(srv.Close)
	return b, srv
}

func (b *tgBot) requests() []tgRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]tgRequest(nil), b.reqs...)
}

// Telegram's documented answers; the descriptions echo the token, as a
// careless proxy might, to prove it is masked.
var (
	tgOK          = response{status: 200, body: `{"ok":true,"result":{"message_id":7,"date":1767261600,"chat":{"id":-1001234,"type":"supergroup"},"text":"x"}}`}
	tgParseError  = response{status: 400, body: `{"ok":false,"error_code":400,"description":"Bad Request: can't parse entities: Unsupported start tag \"` + tgSecret + `\" at byte offset 42"}`}
	tgChatMissing = response{status: 400, body: `{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}`}
	tgTooLong     = response{status: 400, body: `{"ok":false,"error_code":400,"description":"Bad Request: message is too long"}`}
	tgBlocked     = response{status: 403, body: `{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}`}
	tgFlood       = response{status: 429, body: `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 5","parameters":{"retry_after":5}}`}
)

func TestTelegramParseEntitiesRetriesAsPlainText(t *testing.T) {
	tests := []struct {
		name       string
		replies    []response
		requests   int
		ok         bool
		permanent  bool
		retryAfter time.Duration
		reason     string
	}{
		{"plain text accepted", []response{tgParseError, tgOK}, 2, true, false, 0, ""},
		{"plain text rejected too", []response{tgParseError, tgChatMissing}, 2, false, true, 0, "chat not found"},
		{"plain text rate limited", []response{tgParseError, tgFlood}, 2, false, false, 5 * time.Second, "Too Many Requests"},
		{"chat not found: no retry", []response{tgChatMissing, tgOK}, 1, false, true, 0, "chat not found"},
		{"message too long: no retry", []response{tgTooLong, tgOK}, 1, false, true, 0, "message is too long"},
		{"bot blocked: no retry", []response{tgBlocked, tgOK}, 1, false, true, 0, "bot was blocked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bot, srv := newTGBot(t, tt.replies...)
			tg, err := NewTelegram(TelegramConfig{Token: tgSecret, ChatID: "-1001234", URL: srv.URL, ThreadID: 9})
			if err != nil {
				t.Fatal(err)
			}
			err = tg.Notify(context.Background(), testNotification())
			reqs := bot.requests()
			if len(reqs) != tt.requests {
				t.Fatalf("%d requests, want %d", len(reqs), tt.requests)
			}
			if (err == nil) != tt.ok || errors.Is(err, dispatch.ErrPermanent) != tt.permanent || retryAfter(err) != tt.retryAfter {
				t.Fatalf("err=%v permanent=%v retryAfter=%v, want ok=%v permanent=%v retryAfter=%v",
					err, errors.Is(err, dispatch.ErrPermanent), retryAfter(err), tt.ok, tt.permanent, tt.retryAfter)
			}
			if err != nil && (!strings.Contains(err.Error(), tt.reason) || strings.Contains(err.Error(), tgSecret)) {
				t.Errorf("error %q: want the reason %q and no token", err, tt.reason)
			}
			first := reqs[0]
			if first.ParseMode == nil || *first.ParseMode != "HTML" || first.ChatID != float64(-1001234) ||
				first.MessageThreadID != 9 || first.LinkPreviewOptions == nil || !first.LinkPreviewOptions.IsDisabled {
				t.Errorf("first request %+v", first)
			}
			if tt.requests < 2 {
				return
			}
			plain := reqs[1]
			if plain.ParseMode != nil {
				t.Errorf("plain-text retry sends parse_mode %q", *plain.ParseMode)
			}
			if plain.ChatID != first.ChatID || plain.MessageThreadID != 9 || plain.LinkPreviewOptions == nil {
				t.Errorf("plain-text retry changed the target: %+v", plain)
			}
			want := "[FIRING:1] payments\n• firing stripe <deposit> errors 12% & rising\n" +
				"  runbook (https://runbooks.example/deposits)\n• resolved adyen ok"
			if plain.Text != want {
				t.Errorf("plain text\n%q\nwant\n%q", plain.Text, want)
			}
		})
	}
}

// TestTelegramTokenNeverLogged runs the plain-text retry through the real
// pipeline into a final failure and checks the log line.
func TestTelegramTokenNeverLogged(t *testing.T) {
	_, srv := newTGBot(t, tgParseError, tgParseError)
	tg, err := NewTelegram(TelegramConfig{Token: tgSecret, ChatID: "1", URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	d, clk := dispatchTo(t, slog.New(slog.NewTextHandler(&logs, nil)), dispatch.Receiver{Name: "tg", Notifier: tg})
	_ = fireOnce(context.Background(), d, clk)
	out := logs.String()
	if !strings.Contains(out, "alert notification failed") || !strings.Contains(out, "can't parse entities") {
		t.Fatalf("want the failure and its reason logged:\n%s", out)
	}
	if strings.Contains(out, tgSecret) || strings.Contains(out, "AAH-telegram") {
		t.Errorf("log leaks the token:\n%s", out)
	}
}

// validTelegramHTML reports what is wrong with s as Telegram HTML as this
// notifier writes it: only <b>, <i> and <a href="…"> tags, properly
// nested; every & starts a complete entity; no stray < or >.
func validTelegramHTML(s string) error {
	tag := regexp.MustCompile(`^(<b>|</b>|<i>|</i>|<a href="[^"<>]*">|</a>)`)
	entity := regexp.MustCompile(`^&(lt|gt|amp|quot|#[0-9]+);`)
	var open []string
	for i := 0; i < len(s); {
		switch s[i] {
		case '<':
			m := tag.FindString(s[i:])
			if m == "" {
				return fmt.Errorf("broken tag at byte %d: %.20q", i, s[i:])
			}
			name := strings.TrimLeft(m, "</")[:1] // b, i or a
			if strings.HasPrefix(m, "</") {
				if len(open) == 0 || open[len(open)-1] != name {
					return fmt.Errorf("unbalanced %s at byte %d", m, i)
				}
				open = open[:len(open)-1]
			} else {
				open = append(open, name)
			}
			i += len(m)
		case '&':
			m := entity.FindString(s[i:])
			if m == "" {
				return fmt.Errorf("broken entity at byte %d: %.12q", i, s[i:])
			}
			i += len(m)
		case '>':
			return fmt.Errorf("stray > at byte %d", i)
		default:
			i++
		}
	}
	if len(open) > 0 {
		return fmt.Errorf("unclosed %v", open)
	}
	return nil
}

func TestTelegramMessageLimitInUTF16(t *testing.T) {
	alert := func(i int, summary string) alerting.Alert {
		l := alerting.Labels{"alertname": "GameLaunch", "provider": fmt.Sprint("p", i)}
		return alerting.Alert{Labels: l, Fingerprint: l.Fingerprint(), State: alerting.StateFiring,
			Annotations: map[string]string{"summary": summary, "runbook_url": "https://runbooks.example/launch?a=1&b=2"}}
	}
	note := func(alerts ...alerting.Alert) *dispatch.Notification {
		return &dispatch.Notification{Status: "firing", GroupLabels: alerting.Labels{"alertname": "GameLaunch"}, Alerts: alerts}
	}
	many := func(n int, summary string) *dispatch.Notification {
		var as []alerting.Alert
		for i := range n {
			as = append(as, alert(i, summary))
		}
		return note(as...)
	}
	tests := []struct {
		name     string
		n        *dispatch.Notification
		wantMore string // the "… and N more" note, if whole lines were left out
	}{
		// 3000 emoji are 3000 runes but 6000 UTF-16 code units.
		{"one line of emoji", note(alert(0, strings.Repeat("🎰", 3000))), ""},
		{"emoji with entities", note(alert(0, strings.Repeat("🎰<&>", 1500))), ""},
		{"astral letters", note(alert(0, strings.Repeat("𝐁", 5000))), ""},
		// 32 lines of 125 code units fit after the 30 of the title.
		{"many lines of emoji", many(200, strings.Repeat("💳", 20)), "\n… and 168 more"},
		{"long title", &dispatch.Notification{Status: "firing",
			GroupLabels: alerting.Labels{"provider": strings.Repeat("🃏&", 3000)}, Alerts: []alerting.Alert{alert(0, "x")}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg, _ := NewTelegram(TelegramConfig{Token: tgSecret, ChatID: "1"})
			text := tg.(*telegramNotifier).message(tt.n).Text
			units := utf16Units(text)
			if units > telegramMaxText {
				t.Fatalf("text is %d UTF-16 code units, limit %d", units, telegramMaxText)
			}
			// Cut near the limit, not far before it: at most an alert
			// line or a tag is left out.
			if units < telegramMaxText-200 {
				t.Errorf("text cut to %d UTF-16 code units, want close to %d", units, telegramMaxText)
			}
			if !utf8.ValidString(text) || strings.ContainsRune(text, utf8.RuneError) {
				t.Error("text splits a character")
			}
			if err := validTelegramHTML(text); err != nil {
				t.Errorf("%v\n%q", err, text)
			}
			if tt.wantMore != "" && !strings.HasSuffix(text, tt.wantMore) {
				t.Errorf("text ends %q, want %q", text[max(0, len(text)-40):], tt.wantMore)
			}
			if tt.wantMore == "" && !strings.Contains(text, "…") {
				t.Error("the cut is not marked")
			}
			plain := telegramPlain(text)
			if utf16Units(plain) > telegramMaxText || !utf8.ValidString(plain) || strings.Contains(plain, "</") {
				t.Errorf("plain text: %d units, valid=%v", utf16Units(plain), utf8.ValidString(plain))
			}
		})
	}
}

// utf16Units counts like Telegram, independently of the code under test.
func utf16Units(s string) int {
	n := 0
	for _, r := range s {
		if r > 0xFFFF {
			n += 2
		} else {
			n++
		}
	}
	return n
}

func TestTelegramShortMessageUnchanged(t *testing.T) {
	n := testNotification()
	text := telegramHTML(n)
	if strings.Contains(text, "…") || validTelegramHTML(text) != nil {
		t.Fatalf("short message altered: %q", text)
	}
	if got := truncateHTML(text, telegramMaxText); got != text {
		t.Fatalf("truncateHTML changed a short text: %q", got)
	}
}

// FuzzTelegramMessage feeds arbitrary alert text (outside input: summaries
// and links come from rule annotations and label values) through Message
// and the plain-text fallback.
func FuzzTelegramMessage(f *testing.F) {
	f.Add("stripe <deposit> errors 12% & rising", "https://runbooks.example/x?a=1&b=2", 1)
	f.Add(strings.Repeat("🎰&lt;", 900), "", 3)
	f.Add("</b><a href=\"x\">", "\"><b>", 200)
	f.Add(strings.Repeat("é", 4095), "&#", 1)
	tg, _ := NewTelegram(TelegramConfig{Token: tgSecret, ChatID: "1"})
	f.Fuzz(func(t *testing.T, summary, runbook string, count int) {
		count = 1 + abs(count)%300
		var as []alerting.Alert
		for i := range count {
			l := alerting.Labels{"alertname": summary, "i": fmt.Sprint(i)}
			as = append(as, alerting.Alert{Labels: l, State: alerting.StateFiring,
				Annotations: map[string]string{"summary": summary, "runbook_url": runbook}})
		}
		n := &dispatch.Notification{Status: "firing", GroupLabels: alerting.Labels{"alertname": summary}, Alerts: as}
		text := tg.(*telegramNotifier).message(n).Text
		if u := utf16Units(text); u > telegramMaxText {
			t.Fatalf("%d UTF-16 code units", u)
		}
		if err := validTelegramHTML(text); err != nil {
			t.Fatalf("%v in %q", err, text)
		}
		if utf8.ValidString(summary) && utf8.ValidString(runbook) && !utf8.ValidString(text) {
			t.Fatalf("a character was split: %q", text)
		}
		if u := utf16Units(telegramPlain(text)); u > telegramMaxText {
			t.Fatalf("plain text: %d UTF-16 code units", u)
		}
	})
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// TestTelegramEscapesGroupLabelsAndLinks: group labels and links reach
// Telegram HTML-escaped, so a title cannot inject markup.
func TestTelegramEscapesGroupLabelsAndLinks(t *testing.T) {
	tg, _ := NewTelegram(TelegramConfig{Token: "1:x", ChatID: "1"})
	n := testNotification()
	n.GroupLabels = alerting.Labels{"team": "<payments & co>"}
	n.Alerts[0].Annotations["runbook_url"] = `https://rb.example/?a=1&b="2"`
	text := tg.(*telegramNotifier).message(n).Text
	if !strings.Contains(text, "<b>[FIRING:1] &lt;payments &amp; co&gt;</b>") {
		t.Errorf("title not escaped: %q", text)
	}
	if !strings.Contains(text, `<a href="https://rb.example/?a=1&amp;b=&#34;2&#34;">runbook</a>`) {
		t.Errorf("link not escaped: %q", text)
	}
}
