package exporters

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	collectorpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	_ "google.golang.org/grpc/encoding/gzip" // accept gzip-compressed exports
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/stats"
)

// testPKI is a CA with a server certificate for 127.0.0.1 and a client
// certificate, written as PEM files the way an operator mounts them.
type testPKI struct {
	dir              string
	caFile           string
	clientCert       string
	clientKey        string
	serverCert       tls.Certificate
	caPool           *x509.CertPool
	clientCommonName string
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	dir := t.TempDir()
	now := time.Now()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "igmon test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	issue := func(serial int64, cn string, usage x509.ExtKeyUsage, ips []net.IP) ([]byte, []byte, tls.Certificate) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
			ExtKeyUsage: []x509.ExtKeyUsage{usage}, KeyUsage: x509.KeyUsageDigitalSignature, IPAddresses: ips,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kder, _ := x509.MarshalECPrivateKey(key)
		certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
		keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			t.Fatal(err)
		}
		return certPEM, keyPEM, pair
	}
	_, _, server := issue(2, "collector", x509.ExtKeyUsageServerAuth, []net.IP{net.IPv4(127, 0, 0, 1)})
	clientPEM, clientKeyPEM, _ := issue(3, "wallet-service", x509.ExtKeyUsageClientAuth, nil)
	p := &testPKI{dir: dir, serverCert: server, caPool: x509.NewCertPool(), clientCommonName: "wallet-service"}
	p.caPool.AddCert(ca)
	write := func(name string, b []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	p.caFile = write("ca.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}))
	p.clientCert = write("client.pem", clientPEM)
	p.clientKey = write("client-key.pem", clientKeyPEM)
	return p
}

// wireReceiver is a minimal OTLP receiver that records, per export, the
// client certificate's common name and the payload sizes gRPC saw on the
// wire, which the plain-text otlptest receiver cannot show.
type wireReceiver struct {
	collectorpb.UnimplementedMetricsServiceServer
	addr string

	mu       sync.Mutex
	clientCN []string
	payloads []*stats.InPayload
}

func (w *wireReceiver) Export(ctx context.Context, _ *collectorpb.ExportMetricsServiceRequest) (*collectorpb.ExportMetricsServiceResponse, error) {
	cn := ""
	if p, ok := peer.FromContext(ctx); ok {
		if ti, ok := p.AuthInfo.(credentials.TLSInfo); ok && len(ti.State.PeerCertificates) > 0 {
			cn = ti.State.PeerCertificates[0].Subject.CommonName
		}
	}
	w.mu.Lock()
	w.clientCN = append(w.clientCN, cn)
	w.mu.Unlock()
	return &collectorpb.ExportMetricsServiceResponse{}, nil
}

func (w *wireReceiver) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context { return ctx }
func (w *wireReceiver) HandleRPC(_ context.Context, s stats.RPCStats) {
	if in, ok := s.(*stats.InPayload); ok {
		w.mu.Lock()
		w.payloads = append(w.payloads, in)
		w.mu.Unlock()
	}
}
func (w *wireReceiver) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (w *wireReceiver) HandleConn(context.Context, stats.ConnStats)                       {}

func startWireReceiver(t *testing.T, tc *tls.Config) *wireReceiver {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	w := &wireReceiver{addr: lis.Addr().String()}
	opts := []grpc.ServerOption{grpc.StatsHandler(w)}
	if tc != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(tc)))
	}
	srv := grpc.NewServer(opts...)
	collectorpb.RegisterMetricsServiceServer(srv, w)
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(lis) }()
	t.Cleanup(func() { srv.Stop(); <-done })
	return w
}

// exportOnce sends one export of a compressible payload and returns the
// ForceFlush error.
func exportOnce(t *testing.T, env map[string]string, opts ...OTLPOption) error {
	t.Helper()
	opts = append([]OTLPOption{withEnvLookup(mapLookup(env)), WithInterval(time.Hour), WithTimeout(5 * time.Second), WithoutRetry()}, opts...)
	exp, err := OTLP(context.Background(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	tp := newTestProvider(t, []*Exporter{exp})
	c, _ := tp.meter.Int64Counter("igmon.test.bets")
	ctx := context.Background()
	for _, game := range []string{"slots", "roulette", "blackjack", "baccarat", "poker", "keno", "bingo", "crash"} {
		c.Add(ctx, 1, metricAttr("game", game))
	}
	return tp.mp.ForceFlush(ctx)
}

// TestOTLPTLSFilesFromEnv: a collector behind a private CA that demands a
// client certificate is reached with nothing but the three standard
// variables, as an operator configures it from mounted secrets.
func TestOTLPTLSFilesFromEnv(t *testing.T) {
	pki := newTestPKI(t)
	w := startWireReceiver(t, &tls.Config{
		Certificates: []tls.Certificate{pki.serverCert},
		ClientCAs:    pki.caPool, ClientAuth: tls.RequireAndVerifyClientCert,
		MinVersion: tls.VersionTLS12,
	})

	tests := []struct {
		name   string
		env    map[string]string
		wantOK bool
	}{
		{"generic variables", map[string]string{envEndpoint: w.addr, envCertificate: pki.caFile,
			envClientCertificate: pki.clientCert, envClientKey: pki.clientKey}, true},
		{"per-signal variables win", map[string]string{envEndpoint: w.addr,
			envCertificate: filepath.Join(pki.dir, "missing.pem"), envMetricsCertificate: pki.caFile,
			envMetricsClientCertificate: pki.clientCert, envMetricsClientKey: pki.clientKey}, true},
		{"https endpoint", map[string]string{envEndpoint: "https://" + w.addr, envCertificate: pki.caFile,
			envClientCertificate: pki.clientCert, envClientKey: pki.clientKey}, true},
		// Without the client certificate the collector refuses the
		// handshake; without the CA the exporter does not trust it.
		{"no client certificate", map[string]string{envEndpoint: w.addr, envCertificate: pki.caFile}, false},
		{"no CA", map[string]string{envEndpoint: w.addr, envClientCertificate: pki.clientCert, envClientKey: pki.clientKey}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w.mu.Lock()
			before := len(w.clientCN)
			w.mu.Unlock()
			err := exportOnce(t, tt.env)
			if (err == nil) != tt.wantOK {
				t.Fatalf("export error %v, want success %v", err, tt.wantOK)
			}
			w.mu.Lock()
			defer w.mu.Unlock()
			if tt.wantOK && (len(w.clientCN) != before+1 || w.clientCN[before] != pki.clientCommonName) {
				t.Errorf("receiver saw client certificates %q, want one export from %q", w.clientCN[before:], pki.clientCommonName)
			}
			if !tt.wantOK && len(w.clientCN) != before {
				t.Errorf("an export got through without the TLS material")
			}
		})
	}

	// WithTLSConfig replaces the files: the option's empty root pool
	// trusts nothing, so the export fails even though the CA file is set.
	err := exportOnce(t, map[string]string{envEndpoint: w.addr, envCertificate: pki.caFile,
		envClientCertificate: pki.clientCert, envClientKey: pki.clientKey},
		WithTLSConfig(&tls.Config{RootCAs: x509.NewCertPool(), MinVersion: tls.VersionTLS12}))
	if err == nil {
		t.Error("WithTLSConfig did not replace the environment's TLS files")
	}
}

func TestOTLPTLSFilesErrorsNameTheVariable(t *testing.T) {
	pki := newTestPKI(t)
	notPEM := filepath.Join(pki.dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"missing CA file", map[string]string{envCertificate: filepath.Join(pki.dir, "nope.pem")}, envCertificate},
		{"CA file without PEM", map[string]string{envMetricsCertificate: notPEM}, envMetricsCertificate},
		{"cert without key", map[string]string{envClientCertificate: pki.clientCert}, envClientKey},
		{"key without cert", map[string]string{envClientKey: pki.clientKey}, envClientCertificate},
		{"key does not match", map[string]string{envClientCertificate: pki.caFile, envClientKey: pki.clientKey}, envClientCertificate},
		{"missing key file", map[string]string{envClientCertificate: pki.clientCert, envClientKey: notPEM + ".gone"}, envClientKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := OTLP(context.Background(), withEnvLookup(mapLookup(tt.env)))
			if err == nil {
				_ = e.Shutdown(context.Background())
				t.Fatal("accepted")
			}
			if !errors.Is(err, ErrInvalidEnv) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q: want ErrInvalidEnv naming %s", err, tt.want)
			}
			if strings.Contains(err.Error(), "PRIVATE KEY") {
				t.Fatalf("error quotes key material: %q", err)
			}
		})
	}
	// Insecure exports ignore the files rather than failing on them.
	e, err := OTLP(context.Background(), withEnvLookup(mapLookup(map[string]string{
		envEndpoint: "http://127.0.0.1:4317", envCertificate: filepath.Join(pki.dir, "nope.pem")})))
	if err != nil {
		t.Fatalf("plain-text endpoint with a CA file: %v", err)
	}
	_ = e.Shutdown(context.Background())
}

// TestOTLPCompressionOnTheWire: gzip is igmon's default and
// OTEL_EXPORTER_OTLP_COMPRESSION=none turns it off, as the receiver sees.
func TestOTLPCompressionOnTheWire(t *testing.T) {
	for _, tt := range []struct {
		name string
		env  map[string]string
		opts []OTLPOption
		gzip bool
	}{
		{"default", nil, nil, true},
		{"env none", map[string]string{envCompression: "none"}, nil, false},
		{"metrics env wins", map[string]string{envCompression: "none", envMetricsCompression: "gzip"}, nil, true},
		{"option", nil, []OTLPOption{WithoutCompression()}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := startWireReceiver(t, nil)
			env := map[string]string{envEndpoint: "http://" + w.addr}
			for k, v := range tt.env {
				env[k] = v
			}
			if err := exportOnce(t, env, tt.opts...); err != nil {
				t.Fatal(err)
			}
			w.mu.Lock()
			defer w.mu.Unlock()
			if len(w.payloads) != 1 {
				t.Fatalf("%d payloads", len(w.payloads))
			}
			in := w.payloads[0]
			if compressed := in.CompressedLength < in.Length; compressed != tt.gzip {
				t.Errorf("payload %d bytes, %d on the wire: compressed %v, want %v", in.Length, in.CompressedLength, compressed, tt.gzip)
			}
		})
	}
}

func metricAttr(k, v string) metric.AddOption {
	return metric.WithAttributeSet(attribute.NewSet(attribute.String(k, v)))
}
