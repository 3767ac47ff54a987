package checks

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// selfSigned makes a certificate for 127.0.0.1 valid in [notBefore,
// notAfter], its own CA.
func selfSigned(t testing.TB, notBefore, notAfter time.Time) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "psp.test", Organization: []string{"igmon test"}},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"psp.test"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

func selfSignedB(t testing.TB) tls.Certificate {
	return selfSigned(t, time.Now().Add(-time.Hour), time.Now().Add(90*24*time.Hour))
}

// tlsPeer serves cert on loopback and returns its address and a config
// that trusts it.
func tlsPeer(t testing.TB, cert tls.Certificate) (string, *tls.Config) {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // failed handshakes are the point
	srv.StartTLS()
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	return srv.Listener.Addr().String(), &tls.Config{RootCAs: pool}
}

func TestTLSCert(t *testing.T) {
	now := time.Now()
	soon := selfSigned(t, now.Add(-time.Hour), now.Add(3*24*time.Hour+time.Hour))
	addr, trust := tlsPeer(t, soon)
	tests := []struct {
		name   string
		opts   []Option
		status Status
		err    error
	}{
		{"default thresholds fail below 7 days", []Option{WithTLSConfig(trust)}, StatusFail, ErrCertExpiry},
		{"warn band", []Option{WithTLSConfig(trust), WithCertExpiry(10, 1)}, StatusWarn, ErrCertExpiry},
		{"far from thresholds", []Option{WithTLSConfig(trust), WithCertExpiry(2, 1)}, StatusPass, nil},
		{"equal thresholds, no warn band", []Option{WithTLSConfig(trust), WithCertExpiry(5, 5)}, StatusFail, ErrCertExpiry},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := TLSCert(addr, tt.opts...)
			o := runOnce(t, built(t, c, err))
			wantOutcome(t, o, tt.status, tt.err)
			if o.Observation == nil || o.Observation.Measurement != "daysLeft" {
				t.Fatalf("observation = %+v, want daysLeft", o.Observation)
			}
			if d := o.Observation.Value; d < 2.5 || d > 3.5 {
				t.Errorf("daysLeft = %v, want about 3", d)
			}
			if o.Details["subject"] == "" || o.Details["notAfter"] == "" {
				t.Errorf("details = %v, want subject and notAfter", o.Details)
			}
		})
	}
}

func TestTLSCertInvalidChain(t *testing.T) {
	now := time.Now()
	good := selfSigned(t, now.Add(-time.Hour), now.Add(90*24*time.Hour))
	addr, _ := tlsPeer(t, good)
	expired := selfSigned(t, now.Add(-48*time.Hour), now.Add(-24*time.Hour))
	expiredAddr, trustExpired := tlsPeer(t, expired)

	t.Run("untrusted root", func(t *testing.T) {
		c, err := TLSCert(addr)
		o := runOnce(t, built(t, c, err))
		wantOutcome(t, o, StatusFail, nil)
		var uae x509.UnknownAuthorityError
		if !errors.As(o.Err, &uae) {
			t.Errorf("err = %v, want unknown authority", o.Err)
		}
	})
	t.Run("expired", func(t *testing.T) {
		c, err := TLSCert(expiredAddr, WithTLSConfig(trustExpired))
		o := runOnce(t, built(t, c, err))
		wantOutcome(t, o, StatusFail, nil)
		var ce x509.CertificateInvalidError
		if !errors.As(o.Err, &ce) || ce.Reason != x509.Expired {
			t.Errorf("err = %v, want an expired certificate error", o.Err)
		}
	})
	t.Run("wrong name", func(t *testing.T) {
		_, trust := tlsPeer(t, good)
		trust.ServerName = "other.test"
		c, err := TLSCert(addr, WithTLSConfig(trust))
		wantOutcome(t, runOnce(t, built(t, c, err)), StatusFail, nil)
	})
	t.Run("closed peer", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		a := l.Addr().String()
		l.Close()
		c, err := TLSCert(a)
		wantOutcome(t, runOnce(t, built(t, c, err)), StatusFail, nil)
	})
}
