package probes

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
)

// classify maps an error to a bounded failure reason. Errors the probes
// raise themselves carry their reason; network errors are recognised by
// type, most specific first.
func classify(err error) failureReason {
	var re *reasonError
	if errors.As(err, &re) {
		return re.reason
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return reasonTimeout
	}
	var (
		dnsErr    *net.DNSError
		verifyErr *tls.CertificateVerificationError
		unknownCA x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		invalid   x509.CertificateInvalidError
		recErr    tls.RecordHeaderError
		alertErr  tls.AlertError
		opErr     *net.OpError
		netErr    net.Error
	)
	switch {
	case errors.As(err, &dnsErr):
		if dnsErr.IsTimeout {
			return reasonTimeout
		}
		return reasonDNS
	case errors.As(err, &verifyErr), errors.As(err, &unknownCA), errors.As(err, &hostErr),
		errors.As(err, &invalid), errors.As(err, &recErr), errors.As(err, &alertErr):
		return reasonTLS
	case errors.As(err, &netErr) && netErr.Timeout():
		return reasonTimeout
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return reasonConnect
	}
	return reasonOther
}
