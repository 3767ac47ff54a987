package instrument

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
)

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestErrorType(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		want    string
		outcome Outcome
	}{
		{"deadline", context.DeadlineExceeded, errorTypeTimeout, OutcomeTimeout},
		{"wrapped deadline", fmt.Errorf("call: %w", context.DeadlineExceeded), errorTypeTimeout, OutcomeTimeout},
		{"net timeout", &net.OpError{Op: "read", Err: timeoutErr{}}, errorTypeTimeout, OutcomeTimeout},
		{"canceled", context.Canceled, errorTypeCanceled, OutcomeCanceled},
		{"refused", &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, errorTypeConnectionRefused, OutcomeError},
		{"reset", fmt.Errorf("x: %w", syscall.ECONNRESET), errorTypeConnectionReset, OutcomeError},
		{"eof", io.ErrUnexpectedEOF, errorTypeEOF, OutcomeError},
		{"dns", &net.DNSError{Err: "no such host", Name: "psp.invalid"}, errorTypeDNS, OutcomeError},
		{"tls", x509.UnknownAuthorityError{}, errorTypeTLS, OutcomeError},
		{"plain", errors.New("x"), "errors.errorString", OutcomeError},
		{"fmt wrapped type", fmt.Errorf("a: %w", fmt.Errorf("b: %w", insufficientFunds{})), "instrument.insufficientFunds", OutcomeError},
		{"declined", Declined(insufficientFunds{}), "instrument.insufficientFunds", OutcomeDeclined},
		{"joined", errors.Join(errors.New("a"), errors.New("b")), "errors.errorString", OutcomeError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, fixed := errorType(tt.err)
			if got != tt.want || !fixed {
				t.Errorf("errorType = %q (fixed %v), want %q", got, fixed, tt.want)
			}
			if o := defaultOutcome(tt.err); o != tt.outcome {
				t.Errorf("defaultOutcome = %v, want %v", o, tt.outcome)
			}
		})
	}
	if got, fixed := errorType(vendorErr{"E1"}); got != "E1" || fixed {
		t.Errorf("ErrorType method: %q %v", got, fixed)
	}
	if !isDeclined(fmt.Errorf("x: %w", Declined(io.EOF))) || isDeclined(io.EOF) || Declined(nil) != nil {
		t.Error("Declined/isDeclined")
	}
	if a := testing.AllocsPerRun(100, func() { _, _ = errorType(insufficientFunds{}) }); a > 0 {
		t.Errorf("errorType of a repeated type allocates %v", a)
	}
}

func TestOutcomeString(t *testing.T) {
	want := []string{"", "success", "declined", "rejected", "error", "timeout", "canceled"}
	for o := Outcome(0); o < numOutcomes; o++ {
		if o.String() != want[o] {
			t.Errorf("%d.String() = %q", o, o.String())
		}
		if o.failure() != (o == OutcomeError || o == OutcomeTimeout) {
			t.Errorf("%v.failure() = %v", o, o.failure())
		}
	}
	if Outcome(200).String() != "unknown" || Outcome(200).valid() {
		t.Error("out-of-range outcome")
	}
}

func TestMethodTable(t *testing.T) {
	def := newMethodTable("")
	if def.name(def.index("GET")) != "GET" || def.name(def.index("QUERY")) != "QUERY" || def.index("get") != methodOther || def.index("PROPFIND") != methodOther {
		t.Fatal("default methods")
	}
	custom := newMethodTable(" GET , PROPFIND,,")
	if custom.name(custom.index("PROPFIND")) != "PROPFIND" || custom.index("POST") != methodOther {
		t.Fatal("OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS must replace the list")
	}
	if statusText(503) != "503" || statusText(99) != "_OTHER" || statusText(600) != "_OTHER" {
		t.Fatal("statusText")
	}
}
