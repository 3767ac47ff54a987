package probes

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"google.golang.org/grpc"
)

// HTTPOption configures [HTTP], TCPOption [TCP], TLSOption [TLS],
// DNSOption [DNS] and GRPCOption [GRPCHealth]. Each constructor takes its
// own option type, so an option of another kind (WithMethod given to TCP,
// WithGRPCService given to HTTP, ...) does not compile. An option valid for
// several kinds (WithTimeout, WithTLSConfig, ...) implements the option
// type of each of them. An option that sets one value (WithTimeout,
// WithMethod, ...) may be given once: a second one would silently replace
// the first, so the constructor fails naming it. Options that add
// (WithHeader, WithBodyContains, ...) may be repeated.
type HTTPOption interface{ httpOption() option }

// TCPOption configures [TCP]; see [HTTPOption].
type TCPOption interface{ tcpOption() option }

// TLSOption configures [TLS]; see [HTTPOption].
type TLSOption interface{ tlsOption() option }

// DNSOption configures [DNS]; see [HTTPOption].
type DNSOption interface{ dnsOption() option }

// GRPCOption configures [GRPCHealth]; see [HTTPOption].
type GRPCOption interface{ grpcOption() option }

// option is one synthetic probe option. The types below carry it with the
// marker methods of the kinds it applies to, which is what makes a
// misplaced option a compile error.
type option struct {
	name string
	adds bool // repeatable: each one adds to the config
	fn   func(*config)
}

// everyKind is an option of every probe kind.
type everyKind struct{ o option }

func (a everyKind) httpOption() option { return a.o }
func (a everyKind) tcpOption() option  { return a.o }
func (a everyKind) tlsOption() option  { return a.o }
func (a everyKind) dnsOption() option  { return a.o }
func (a everyKind) grpcOption() option { return a.o }

// tlsKinds is an option of the kinds that speak TLS: HTTP, TLS and gRPC.
type tlsKinds struct{ o option }

func (a tlsKinds) httpOption() option { return a.o }
func (a tlsKinds) tlsOption() option  { return a.o }
func (a tlsKinds) grpcOption() option { return a.o }

// dialKinds is an option of the kinds that resolve names and dial
// themselves: every kind but gRPC, which uses gRPC's own resolvers.
type dialKinds struct{ o option }

func (a dialKinds) httpOption() option { return a.o }
func (a dialKinds) tcpOption() option  { return a.o }
func (a dialKinds) tlsOption() option  { return a.o }
func (a dialKinds) dnsOption() option  { return a.o }

// httpOnly, dnsOnly and grpcOnly are options of one kind.
type (
	httpOnly struct{ o option }
	dnsOnly  struct{ o option }
	grpcOnly struct{ o option }
)

func (a httpOnly) httpOption() option { return a.o }
func (a dnsOnly) dnsOption() option   { return a.o }
func (a grpcOnly) grpcOption() option { return a.o }

// optionsOf unwraps a constructor's options, skipping nil ones.
func optionsOf[O any](opts []O, get func(O) option) []option {
	out := make([]option, 0, len(opts))
	for _, o := range opts {
		if any(o) != nil {
			out = append(out, get(o))
		}
	}
	return out
}

func (o option) apply(c *config) {
	if !o.adds {
		if c.seen[o.name] {
			c.errs = append(c.errs, fmt.Errorf("%s: given twice; the second would silently replace the first", o.name))
			return
		}
		if c.seen == nil {
			c.seen = map[string]bool{}
		}
		c.seen[o.name] = true
	}
	o.fn(c)
}

type jsonAssertion struct {
	path string
	want string
}

type config struct {
	kind            probeKind
	interval        time.Duration
	timeout         time.Duration
	jitter          float64
	history         int
	maxLatency      time.Duration
	minCertValidity time.Duration
	certWarn        time.Duration
	expectAddrs     []netip.Addr
	tlsConfig       *tls.Config
	resolverAddr    string

	// HTTP
	method       string
	header       http.Header
	body         []byte
	expectStatus []int
	bodyContains []string
	jsonFields   []jsonAssertion
	maxBody      int64
	noRedirects  bool

	// DNS
	network string

	// gRPC
	grpcService  string
	grpcConn     *grpc.ClientConn
	grpcDialOpts []grpc.DialOption

	seen map[string]bool // single-valued options already given
	errs []error
}

func defaultConfig(k probeKind) config {
	return config{
		kind:     k,
		interval: defaultProbeInterval,
		timeout:  defaultProbeTimeout,
		jitter:   defaultProbeJitter,
		history:  defaultHistory,
		method:   http.MethodGet,
		header:   http.Header{},
		maxBody:  defaultMaxBodyBytes,
		network:  "ip",
	}
}

func (c *config) errorf(format string, a ...any) {
	c.errs = append(c.errs, fmt.Errorf(format, a...))
}

// WithInterval sets how often a scheduled probe runs (default 30s). It
// must be at least the timeout.
func WithInterval(d time.Duration) everyKind {
	return everyKind{option{name: "interval", fn: func(c *config) {
		c.interval = d
		if d <= 0 {
			c.errorf("interval: %v must be positive", d)
		}
	}}}
}

// WithTimeout bounds one run (default 10s): a hung target is cut at the
// timeout and the run fails with reason "timeout".
func WithTimeout(d time.Duration) everyKind {
	return everyKind{option{name: "timeout", fn: func(c *config) {
		c.timeout = d
		if d <= 0 {
			c.errorf("timeout: %v must be positive", d)
		}
	}}}
}

// withJitter spreads runs by up to ±f of the interval (default 0.1) so that
// replicas do not probe an endpoint in lock step. Users pass
// checks.WithJitter to [Probe.Check], which schedules the probe.
func withJitter(f float64) everyKind {
	return everyKind{option{name: "jitter", fn: func(c *config) {
		c.jitter = f
		if f < 0 || f >= 1 {
			c.errorf("jitter: %v must be in [0, 1)", f)
		}
	}}}
}

// withHistory sets how many recent results are kept (default 1, for
// Last; 0 keeps none). Tests keep more.
func withHistory(n int) everyKind {
	return everyKind{option{name: "history", fn: func(c *config) {
		c.history = n
		if n < 0 {
			c.errorf("history: %d must not be negative", n)
		}
	}}}
}

// WithMaxLatency fails a run that succeeded but took longer than d, with
// reason "assertion".
func WithMaxLatency(d time.Duration) everyKind {
	return everyKind{option{name: "max latency", fn: func(c *config) {
		c.maxLatency = d
		if d <= 0 {
			c.errorf("max latency: %v must be positive", d)
		}
	}}}
}

// WithMinCertValidity fails a run whose peer certificate expires within d,
// with reason "cert_expiry". HTTPS, TLS and gRPC-over-TLS probes only.
func WithMinCertValidity(d time.Duration) tlsKinds {
	return tlsKinds{option{name: "min cert validity", fn: func(c *config) {
		c.minCertValidity = d
		if d <= 0 {
			c.errorf("min cert validity: %v must be positive", d)
		}
	}}}
}

// WithCertWarn makes the probe's check ([Probe.Check]) report warn, not
// fail, while the peer certificate expires within d: weeks of notice before
// [WithMinCertValidity] fails the run. HTTPS, TLS and gRPC-over-TLS probes
// only.
func WithCertWarn(d time.Duration) tlsKinds {
	return tlsKinds{option{name: "cert warn", fn: func(c *config) {
		c.certWarn = d
		if d <= 0 {
			c.errorf("cert warn: %v must be positive", d)
		}
	}}}
}

// WithExpectAddrs fails a DNS run unless every given IP address is in the
// answer, with reason "assertion": a hijacked or stale record resolves, but
// to the wrong place. DNS probes only.
func WithExpectAddrs(addrs ...string) DNSOption {
	return dnsOnly{option{name: "expect addrs", adds: true, fn: func(c *config) {
		if len(addrs) == 0 {
			c.errorf("expect addrs: at least one address is required")
		}
		for _, a := range addrs {
			ip, err := netip.ParseAddr(a)
			if err != nil {
				c.errorf("expect addrs: %q is not an IP address", a)
				return
			}
			c.expectAddrs = append(c.expectAddrs, ip.Unmap())
		}
	}}}
}

// WithTLSConfig sets the TLS client configuration (root CAs, client
// certificates, ServerName). HTTP, TLS and gRPC probes only; for gRPC it
// turns TLS on.
func WithTLSConfig(tc *tls.Config) tlsKinds {
	return tlsKinds{option{name: "tls config", fn: func(c *config) {
		c.tlsConfig = tc
		if tc == nil {
			c.errorf("tls config: must not be nil")
		}
	}}}
}

// WithResolver makes the probe resolve names through the DNS server at
// addr ("ip:port") instead of the system resolver. Not for gRPC probes,
// which resolve through gRPC's own resolvers.
func WithResolver(addr string) dialKinds {
	return dialKinds{option{name: "resolver", fn: func(c *config) {
		c.resolverAddr = addr
		host, port, err := net.SplitHostPort(addr)
		if err != nil || host == "" || port == "" {
			c.errorf("resolver: %q is not host:port", addr)
		}
	}}}
}

// WithMethod sets the HTTP method (default GET).
func WithMethod(m string) HTTPOption {
	return httpOnly{option{name: "method", fn: func(c *config) {
		c.method = m
		if m == "" || strings.ContainsAny(m, " \t\r\n") {
			c.errorf("method: %q is not an HTTP method", m)
		}
	}}}
}

// WithHeader adds a request header. HTTP probes only.
func WithHeader(key, value string) HTTPOption {
	return httpOnly{option{name: "header", adds: true, fn: func(c *config) {
		if key == "" {
			c.errorf("header: key must not be empty")
			return
		}
		c.header.Add(key, value)
	}}}
}

// WithBody sets the request body. HTTP probes only.
func WithBody(b []byte) HTTPOption {
	return httpOnly{option{name: "body", fn: func(c *config) { c.body = append([]byte(nil), b...) }}}
}

// WithExpectStatus sets the accepted HTTP status codes (default any 2xx).
func WithExpectStatus(codes ...int) HTTPOption {
	return httpOnly{option{name: "expect status", fn: func(c *config) {
		c.expectStatus = append([]int(nil), codes...)
		for _, s := range codes {
			if s < 100 || s > 599 {
				c.errorf("expect status: %d is not an HTTP status", s)
			}
		}
		if len(codes) == 0 {
			c.errorf("expect status: no codes given")
		}
	}}}
}

// WithBodyContains fails the run with reason "assertion" unless the body
// (as far as it was read) contains s. HTTP probes only.
func WithBodyContains(s string) HTTPOption {
	return httpOnly{option{name: "body contains", adds: true, fn: func(c *config) {
		c.bodyContains = append(c.bodyContains, s)
		if s == "" {
			c.errorf("body contains: must not be empty")
		}
	}}}
}

// WithJSONField fails the run with reason "assertion" unless the JSON body
// has want at path. The path is dot-separated object keys and array
// indexes ("status", "checks.0.state"); want is compared with the value's
// JSON text, without quotes for strings ("ok", "42", "true", "null").
// HTTP probes only.
func WithJSONField(path, want string) HTTPOption {
	return httpOnly{option{name: "json field", adds: true, fn: func(c *config) {
		c.jsonFields = append(c.jsonFields, jsonAssertion{path: path, want: want})
		if path == "" {
			c.errorf("json field: path must not be empty")
		}
	}}}
}

// WithMaxBodyBytes bounds how much of the response body is read (default
// 1 MiB). A longer body is not an error: reading stops at the limit and the
// assertions see the prefix. HTTP probes only.
func WithMaxBodyBytes(n int64) HTTPOption {
	return httpOnly{option{name: "max body bytes", fn: func(c *config) {
		c.maxBody = n
		if n < 0 {
			c.errorf("max body bytes: %d must not be negative", n)
		}
	}}}
}

// WithoutRedirects reports a redirect as the response instead of following
// it. HTTP probes only.
func WithoutRedirects() HTTPOption {
	return httpOnly{option{name: "without redirects", adds: true, fn: func(c *config) { c.noRedirects = true }}}
}

// WithIPNetwork selects the address family: "ip" (A and AAAA, the
// default), "ip4" (A) or "ip6" (AAAA). A DNS probe asks for those records;
// TCP, TLS and HTTP probes look up and dial that family only (an IP
// literal of the other family is rejected).
func WithIPNetwork(network string) dialKinds {
	return dialKinds{option{name: "ip network", fn: func(c *config) {
		c.network = network
		if network != "ip" && network != "ip4" && network != "ip6" {
			c.errorf("ip network: %q is not ip, ip4 or ip6", network)
		}
	}}}
}

// WithGRPCService sets the service name sent in the health request
// (default "", the server's overall health).
func WithGRPCService(service string) GRPCOption {
	return grpcOnly{option{name: "grpc service", fn: func(c *config) { c.grpcService = service }}}
}

// WithGRPCConn makes a gRPC probe use conn (the application's own
// connection) instead of dialling the target. The probe does not close
// conn.
func WithGRPCConn(conn *grpc.ClientConn) GRPCOption {
	return grpcOnly{option{name: "grpc conn", fn: func(c *config) {
		c.grpcConn = conn
		if conn == nil {
			c.errorf("grpc conn: must not be nil")
		}
	}}}
}

// WithGRPCDialOptions adds options for dialling the target of a gRPC probe.
func WithGRPCDialOptions(opts ...grpc.DialOption) GRPCOption {
	return grpcOnly{option{name: "grpc dial options", adds: true, fn: func(c *config) {
		c.grpcDialOpts = append(c.grpcDialOpts, opts...)
	}}}
}
