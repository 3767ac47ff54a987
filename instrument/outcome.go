package instrument

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"strings"
	"sync"
	"syscall"
)

// Outcome is the bounded result class of one dependency call, recorded as
// the igmon.dependency.outcome attribute. Only OutcomeError and
// OutcomeTimeout count against the provider (Outcome.Failure): a declined
// card or a rejected request means the provider worked.
type Outcome uint8

// Outcomes. The zero value, OutcomeUnset, is what a classifier returns to
// leave a call to the default classification.
const (
	OutcomeUnset Outcome = iota
	// OutcomeSuccess: the provider did what was asked.
	OutcomeSuccess
	// OutcomeDeclined: the provider worked and said no for a business
	// reason (card declined, insufficient funds, player blocked). Only a
	// classifier or Declined produces it.
	OutcomeDeclined
	// OutcomeRejected: the provider refused the request as sent (HTTP 4xx,
	// including 429 throttling): a problem on the caller's side.
	OutcomeRejected
	// OutcomeError: the provider or the path to it failed (transport
	// error, HTTP 5xx, any other error).
	OutcomeError
	// OutcomeTimeout: the call ran out of time.
	OutcomeTimeout
	// OutcomeCanceled: the caller gave up (context canceled). It says
	// nothing about the provider and is left out of the passive-health
	// window.
	OutcomeCanceled

	numOutcomes = iota
)

var outcomeNames = [numOutcomes]string{"", "success", "declined", "rejected", "error", "timeout", "canceled"}

// String returns the attribute value: success, declined, rejected, error,
// timeout or canceled ("" for OutcomeUnset).
func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return "unknown"
}

// Failure reports whether the outcome counts against the provider's error
// rate: OutcomeError and OutcomeTimeout.
func (o Outcome) failure() bool { return o == OutcomeError || o == OutcomeTimeout }

func (o Outcome) valid() bool { return o > OutcomeUnset && o < numOutcomes }

// declinedError marks an error as a business decline.
type declinedError struct{ err error }

func (d declinedError) Error() string { return d.err.Error() }
func (d declinedError) Unwrap() error { return d.err }

// Declined marks err as a business outcome for Track: the call is recorded
// as OutcomeDeclined and does not count against the provider. The error is
// returned to the caller unchanged apart from the wrapper (errors.Is and
// errors.As see through it). Declined(nil) is nil.
func Declined(err error) error {
	if err == nil {
		return nil
	}
	return declinedError{err}
}

// isDeclined reports whether err was marked by Declined.
func isDeclined(err error) bool { return inspect(err).declined }

// defaultOutcome classifies an error from a call: timeouts, cancellations,
// declines, and everything else as a provider error.
func defaultOutcome(err error) Outcome {
	if err == nil {
		return OutcomeSuccess
	}
	info := inspect(err)
	return info.outcome()
}

// Fixed error.type values for the error classes igmon recognises. Other
// errors get their Go type name (bounded by the program's types) or the
// value of an ErrorType() string method, capped per dependency.
const (
	errorTypeTimeout           = "timeout"
	errorTypeCanceled          = "canceled"
	errorTypeConnectionRefused = "connection_refused"
	errorTypeConnectionReset   = "connection_reset"
	errorTypeDNS               = "dns_error"
	errorTypeTLS               = "tls_error"
	errorTypeEOF               = "eof"
	errorTypePanic             = "panic"
	errorTypeDeclined          = "declined"
	// errorTypeOther is the semantic conventions' fallback value.
	errorTypeOther = "_OTHER"
)

// errorTyper is the convention (also honoured by OTel's semconv.ErrorType)
// for an error to name its own low-cardinality class.
type errorTyper interface{ ErrorType() string }

// errInfo is what inspect learns from an error chain.
type errInfo struct {
	typer    errorTyper // first error in the chain with an ErrorType method
	declined bool
	timeout  bool
	canceled bool
	class    string // a fixed error.type found in the chain
	inner    error  // innermost error along the first branch, past wrappers
}

func (e *errInfo) outcome() Outcome {
	switch {
	case e.declined:
		return OutcomeDeclined
	case e.timeout:
		return OutcomeTimeout
	case e.canceled:
		return OutcomeCanceled
	}
	return OutcomeError
}

// maxErrorDepth bounds the walk of an error chain (and breaks cycles).
const maxErrorDepth = 32

// inspect walks err's chain (Unwrap() error and Unwrap() []error, depth
// first like errors.As) with type switches only, so that classifying an
// error allocates nothing, unlike errors.As with its escaping targets.
func inspect(err error) errInfo {
	var info errInfo
	info.inner = err
	n := 0
	inspectNode(err, &info, &n, true)
	return info
}

func inspectNode(err error, info *errInfo, n *int, first bool) {
	if err == nil || *n >= maxErrorDepth {
		return
	}
	*n++
	if first {
		if _, isDeclined := err.(declinedError); isDeclined || isWrapper(err) {
			if next := firstUnwrap(err); next != nil {
				info.inner = next
			}
		} else {
			first = false
		}
	}
	if info.typer == nil {
		if et, ok := err.(errorTyper); ok {
			info.typer = et
		}
	}
	switch e := err.(type) {
	case declinedError:
		info.declined = true
	case syscall.Errno:
		switch e {
		case syscall.ECONNREFUSED:
			info.setClass(errorTypeConnectionRefused)
		case syscall.ECONNRESET, syscall.EPIPE:
			info.setClass(errorTypeConnectionReset)
		}
	case *net.DNSError:
		info.setClass(errorTypeDNS)
	case *tls.CertificateVerificationError, tls.RecordHeaderError, tls.AlertError,
		x509.UnknownAuthorityError, x509.HostnameError, x509.CertificateInvalidError:
		info.setClass(errorTypeTLS)
	}
	switch {
	case err == context.DeadlineExceeded:
		info.timeout = true
	case err == context.Canceled:
		info.canceled = true
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		info.setClass(errorTypeEOF)
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		info.timeout = true
	}
	if is, ok := err.(interface{ Is(error) bool }); ok {
		if is.Is(context.DeadlineExceeded) {
			info.timeout = true
		} else if is.Is(context.Canceled) {
			info.canceled = true
		}
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		inspectNode(u.Unwrap(), info, n, first)
	case interface{ Unwrap() []error }:
		for i, e := range u.Unwrap() {
			inspectNode(e, info, n, first && i == 0)
		}
	}
}

func (e *errInfo) setClass(c string) {
	if e.class == "" {
		e.class = c
	}
}

func firstUnwrap(err error) error {
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return u.Unwrap()
	case interface{ Unwrap() []error }:
		if es := u.Unwrap(); len(es) > 0 {
			return es[0]
		}
	}
	return nil
}

// typeNames caches reflect type names so that classifying a repeated error
// does not allocate.
var typeNames sync.Map // reflect.Type -> string

// errorType returns a low-cardinality error.type for err. fixed is false
// when the value came from an ErrorType method and must still be bounded by
// the caller.
func errorType(err error) (t string, fixed bool) {
	info := inspect(err)
	return info.errorType()
}

func (info *errInfo) errorType() (string, bool) {
	switch {
	case info.typer != nil:
		return info.typer.ErrorType(), false
	case info.timeout:
		return errorTypeTimeout, true
	case info.canceled:
		return errorTypeCanceled, true
	case info.class != "":
		return info.class, true
	}
	// Name the innermost error that is not a plain wrapper, like
	// semconv.ErrorType, so fmt.Errorf("...: %w", err) does not hide it.
	rt := reflect.TypeOf(info.inner)
	if v, ok := typeNames.Load(rt); ok {
		return v.(string), true
	}
	name := strings.TrimPrefix(rt.String(), "*")
	typeNames.Store(rt, name)
	return name, true
}

var (
	wrapErrorType  = reflect.TypeOf(fmt.Errorf("x: %w", io.EOF))
	wrapErrorsType = reflect.TypeOf(fmt.Errorf("x: %w %w", io.EOF, io.EOF))
	joinErrorType  = reflect.TypeOf(errors.Join(io.EOF, io.EOF))
)

// isWrapper reports whether err is one of the standard library's anonymous
// wrappers (fmt.Errorf with %w, errors.Join), whose type names say nothing.
func isWrapper(err error) bool {
	t := reflect.TypeOf(err)
	return t == wrapErrorType || t == wrapErrorsType || t == joinErrorType
}
