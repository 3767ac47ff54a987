package checks

// Status is the health of a check or of an endpoint.
type Status uint8

// The statuses, ordered from best to worst so that the aggregate of several
// statuses is their maximum.
const (
	// StatusUnknown means the check has not produced a result yet. It counts
	// as failing for readiness and startup.
	StatusUnknown Status = iota
	// StatusPass means healthy.
	StatusPass
	// StatusWarn means degraded but still serving: HTTP 200, visible in the
	// body, logs and metrics.
	StatusWarn
	// StatusFail means unhealthy: HTTP 503.
	StatusFail
)

// String returns "unknown", "pass", "warn" or "fail", the IETF health+json
// spelling.
func (s Status) String() string {
	switch s {
	case StatusPass:
		return "pass"
	case StatusWarn:
		return "warn"
	case StatusFail:
		return "fail"
	default:
		return "unknown"
	}
}

// worse returns the worse of two statuses, treating unknown as fail.
func worse(a, b Status) Status {
	if rank(b) > rank(a) {
		return b
	}
	return a
}

func rank(s Status) int {
	switch s {
	case StatusPass:
		return 0
	case StatusWarn:
		return 1
	default: // fail and unknown
		return 2
	}
}

// Endpoint is a set of health endpoints a check affects.
type Endpoint uint8

// The endpoints. A check may affect several: Liveness|Readiness.
const (
	// Liveness is /livez: is the process able to make progress? A failure
	// restarts the pod, so it should never include external dependencies.
	Liveness Endpoint = 1 << iota
	// Readiness is /readyz: should the service receive traffic?
	Readiness
	// Startup is /startupz: has the service finished starting?
	Startup

	// allEndpoints selects every check; /healthz uses it.
	allEndpoints = Liveness | Readiness | Startup
)

// String returns the endpoint names joined by "|".
func (e Endpoint) String() string {
	if e == 0 {
		return "none"
	}
	s := ""
	add := func(n string) {
		if s != "" {
			s += "|"
		}
		s += n
	}
	if e&Liveness != 0 {
		add("liveness")
	}
	if e&Readiness != 0 {
		add("readiness")
	}
	if e&Startup != 0 {
		add("startup")
	}
	return s
}

// Component types, for the IETF componentType field and for grouping on the
// dashboard. Any other non-empty string is allowed.
const (
	componentDatastore       = "datastore"
	componentPaymentProvider = "payment-provider"
	componentGameProvider    = "game-provider"
	componentKYC             = "kyc"
	componentHTTP            = "http"
	componentSystem          = "system"
	componentComponent       = "component"
)
