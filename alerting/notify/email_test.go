package notify

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/dispatch"
)

// smtpServer is a minimal real SMTP server on loopback speaking EHLO,
// STARTTLS (self-signed certificate), AUTH PLAIN, MAIL, RCPT, DATA, QUIT.
type smtpServer struct {
	ln      net.Listener
	tlsCfg  *tls.Config
	pool    *x509.CertPool
	rcptErr string // answer to RCPT, e.g. "550 no such user"
	noTLS   bool   // do not offer STARTTLS (a downgraded or plaintext server)
	wg      sync.WaitGroup

	mu       sync.Mutex
	log      []string
	data     []string
	tlsOn    []bool
	authUser []string
}

func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

func newSMTPServer(t *testing.T) *smtpServer {
	t.Helper()
	cert, pool := selfSigned(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln, pool: pool, tlsCfg: &tls.Config{Certificates: []tls.Certificate{cert}}}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() { defer s.wg.Done(); s.serve(c) }()
		}
	}()
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

func (s *smtpServer) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	r, w := bufio.NewReader(c), bufio.NewWriter(c)
	reply := func(lines ...string) {
		for _, l := range lines {
			w.WriteString(l + "\r\n")
		}
		w.Flush()
	}
	secure := false
	reply("220 localhost ESMTP igmon-test")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		s.mu.Lock()
		s.log = append(s.log, line)
		s.mu.Unlock()
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch verb {
		case "EHLO":
			if secure || s.noTLS {
				reply("250-localhost", "250 AUTH PLAIN")
			} else {
				reply("250-localhost", "250 STARTTLS")
			}
		case "STARTTLS":
			reply("220 ready to start TLS")
			tc := tls.Server(c, s.tlsCfg)
			if tc.Handshake() != nil {
				return
			}
			c, secure = tc, true
			r, w = bufio.NewReader(tc), bufio.NewWriter(tc)
		case "AUTH":
			f := strings.Fields(line)
			raw, _ := base64.StdEncoding.DecodeString(f[len(f)-1])
			parts := strings.Split(string(raw), "\x00")
			s.mu.Lock()
			s.authUser = append(s.authUser, parts[1])
			s.mu.Unlock()
			if len(parts) == 3 && parts[2] == "right-password" {
				reply("235 2.7.0 Authentication successful")
			} else {
				reply("535 5.7.8 Authentication credentials invalid")
			}
		case "MAIL":
			reply("250 OK")
		case "RCPT":
			if s.rcptErr != "" {
				reply(s.rcptErr)
			} else {
				reply("250 OK")
			}
		case "DATA":
			reply("354 end with <CR><LF>.<CR><LF>")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			s.mu.Lock()
			s.data = append(s.data, b.String())
			s.tlsOn = append(s.tlsOn, secure)
			s.mu.Unlock()
			reply("250 OK queued")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 command not implemented")
		}
	}
}

func TestEmailSMTPStartTLSConversation(t *testing.T) {
	srv := newSMTPServer(t)
	e, err := NewEmail(EmailConfig{Addr: srv.ln.Addr().String(), From: "igmon@casino.example",
		To: []string{"oncall@casino.example"}, Username: "igmon", Password: "right-password",
		TLSConfig: &tls.Config{RootCAs: srv.pool, ServerName: "localhost"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Notify(context.Background(), testNotification()); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(srv.data) != 1 || !srv.tlsOn[0] {
		t.Fatalf("messages %d, over TLS %v", len(srv.data), srv.tlsOn)
	}
	var verbs []string
	for _, l := range srv.log {
		verbs = append(verbs, strings.ToUpper(strings.SplitN(l, " ", 2)[0]))
	}
	want := "EHLO STARTTLS EHLO AUTH MAIL RCPT DATA QUIT"
	if got := strings.Join(verbs, " "); got != want {
		t.Errorf("conversation %q, want %q", got, want)
	}
	msg := srv.data[0]
	for _, s := range []string{"Subject: [FIRING:1] payments", "To: oncall@casino.example",
		"stripe <deposit> errors 12% & rising", "runbook: https://runbooks.example/deposits"} {
		if !strings.Contains(msg, s) {
			t.Errorf("message lacks %q:\n%s", s, msg)
		}
	}
}

func TestEmailErrors(t *testing.T) {
	srv := newSMTPServer(t)
	tc := &tls.Config{RootCAs: srv.pool, ServerName: "localhost"}
	e, _ := NewEmail(EmailConfig{Addr: srv.ln.Addr().String(), From: "a@b.example", To: []string{"c@d.example"},
		Username: "igmon", Password: "wrong-password-xyz", TLSConfig: tc})
	err := e.Notify(context.Background(), testNotification())
	if !errors.Is(err, dispatch.ErrPermanent) || strings.Contains(err.Error(), "wrong-password-xyz") {
		t.Errorf("bad credentials: %v", err)
	}
	srv.rcptErr = "450 4.2.1 mailbox busy"
	e2, _ := NewEmail(EmailConfig{Addr: srv.ln.Addr().String(), From: "a@b.example", To: []string{"c@d.example"}, TLSConfig: tc})
	if err := e2.Notify(context.Background(), testNotification()); err == nil || errors.Is(err, dispatch.ErrPermanent) {
		t.Errorf("4xx must be retryable: %v", err)
	}
	// An untrusted certificate fails the STARTTLS handshake.
	e3, _ := NewEmail(EmailConfig{Addr: srv.ln.Addr().String(), From: "a@b.example", To: []string{"c@d.example"}})
	if err := e3.Notify(context.Background(), testNotification()); err == nil {
		t.Error("self-signed certificate accepted without trust")
	}
}

// TestEmailHeaderInjectionAndSTARTTLSDowngrade: a line break in a header
// value cannot add a header, and a server that does not offer STARTTLS
// gets neither the credentials nor the alert, unless AllowPlaintext is set
// and no credentials are configured.
func TestEmailHeaderInjectionAndSTARTTLSDowngrade(t *testing.T) {
	srv := newSMTPServer(t)
	tc := &tls.Config{RootCAs: srv.pool, ServerName: "localhost"}
	e, _ := NewEmail(EmailConfig{Addr: srv.ln.Addr().String(), From: "igmon@casino.example", To: []string{"oncall@casino.example"}, TLSConfig: tc})
	n := testNotification()
	// A label value carrying CRLF must not become a header of its own.
	n.GroupLabels = alerting.Labels{"team": "payments\r\nBcc: attacker@evil.example"}
	if err := e.Notify(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	msg := srv.data[0]
	srv.mu.Unlock()
	head, _, _ := strings.Cut(msg, "\r\n\r\n")
	for _, line := range strings.Split(head, "\r\n") {
		if strings.HasPrefix(strings.ToLower(line), "bcc:") {
			t.Fatalf("label value injected a header:\n%s", head)
		}
	}

	// A server (or a man in the middle) that does not offer STARTTLS gets
	// neither the credentials nor the alert text.
	plain := newSMTPServer(t)
	plain.noTLS = true
	withCreds, _ := NewEmail(EmailConfig{Addr: plain.ln.Addr().String(), From: "a@b.example", To: []string{"c@d.example"},
		Username: "igmon", Password: "right-password", AllowPlaintext: true})
	noCreds, _ := NewEmail(EmailConfig{Addr: plain.ln.Addr().String(), From: "a@b.example", To: []string{"c@d.example"}})
	for name, nf := range map[string]dispatch.Notifier{"credentials with AllowPlaintext": withCreds, "default": noCreds} {
		err := nf.Notify(context.Background(), testNotification())
		if !errors.Is(err, dispatch.ErrPermanent) || !strings.Contains(err.Error(), "STARTTLS") {
			t.Errorf("%s: %v, want a permanent STARTTLS error", name, err)
		}
	}
	plain.mu.Lock()
	defer plain.mu.Unlock()
	if len(plain.data) != 0 || len(plain.authUser) != 0 {
		t.Errorf("plaintext server got %d messages and %d logins", len(plain.data), len(plain.authUser))
	}
	optIn, _ := NewEmail(EmailConfig{Addr: plain.ln.Addr().String(), From: "a@b.example", To: []string{"c@d.example"}, AllowPlaintext: true})
	plain.mu.Unlock()
	err := optIn.Notify(context.Background(), testNotification())
	plain.mu.Lock()
	if err != nil || len(plain.data) != 1 {
		t.Errorf("AllowPlaintext without credentials: %v, %d messages", err, len(plain.data))
	}
}
