package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The fault API: GET /control/faults returns the current faults; POST
// changes them and returns the faults after the change. A POST body is one
// JSON object; every field is optional:
//
//	provider          string   which provider "fault" applies to: stripe,
//	                           pragmatic-play or sumsub (required with fault)
//	fault             object   changes to that provider's fault (required
//	                           with provider); only the fields present change:
//	  latency_ms      integer  added to every call, 0 to 60000
//	  error_rate      number   share of calls answered 503, 0 to 1
//	  decline_rate    number   share of card payments declined (HTTP 402),
//	                           0 to 1; stripe only
//	  down            boolean  connections are closed without an answer,
//	                           health endpoint included
//	db_down           boolean  the wallet database refuses every query
//	cpu_burn_seconds  integer  keep every core busy for this long, 0 to 600;
//	                           0 stops a burn, a new burn replaces the old
//	reset             boolean  true clears every fault (and stops a CPU burn)
//	                           before the other fields of the same request apply
//
// A field that is absent (or null) keeps its value; 0 or false clears it.
// So {"provider":"stripe","fault":{"latency_ms":1500}} after
// {"provider":"stripe","fault":{"error_rate":0.6}} leaves stripe both slow
// and failing. A request is checked whole before anything changes: an
// unknown field at any level, a value of the wrong type or out of range, or
// an unknown provider is refused with 400 and a message naming the field,
// and changes nothing.

// Limits of the fault API.
const (
	maxLatencyMS   = 60000
	maxCPUBurnS    = 600
	maxFaultsBody  = 1 << 16
	faultsEndpoint = "/control/faults"
)

// ProviderFault is what is wrong with one provider. The zero value is a
// healthy provider.
type ProviderFault struct {
	// LatencyMS is added to every call, in milliseconds.
	LatencyMS int `json:"latency_ms"`
	// ErrorRate is the share of calls (health endpoint excluded) answered
	// 503, in [0, 1].
	ErrorRate float64 `json:"error_rate"`
	// DeclineRate is the share of card payments the PSP declines with 402,
	// in [0, 1]: a business outcome, not a provider failure. Only stripe
	// declines.
	DeclineRate float64 `json:"decline_rate"`
	// Down closes every connection without an answer, health endpoint
	// included.
	Down bool `json:"down"`
}

// FaultPatch is the "fault" object of a POST: a nil field keeps the
// provider's current value, a non-nil one replaces it.
type FaultPatch struct {
	LatencyMS   *int     `json:"latency_ms,omitempty"`
	ErrorRate   *float64 `json:"error_rate,omitempty"`
	DeclineRate *float64 `json:"decline_rate,omitempty"`
	Down        *bool    `json:"down,omitempty"`
}

func (p *FaultPatch) applyTo(pf *ProviderFault) {
	if p.LatencyMS != nil {
		pf.LatencyMS = *p.LatencyMS
	}
	if p.ErrorRate != nil {
		pf.ErrorRate = *p.ErrorRate
	}
	if p.DeclineRate != nil {
		pf.DeclineRate = *p.DeclineRate
	}
	if p.Down != nil {
		pf.Down = *p.Down
	}
}

// FaultRequest is the body of POST /control/faults (see the fault API
// above).
type FaultRequest struct {
	// Provider names the provider Fault applies to.
	Provider string `json:"provider,omitempty"`
	// Fault changes that provider's fault, field by field.
	Fault *FaultPatch `json:"fault,omitempty"`
	// DBDown, when set, takes the wallet database down (true) or up.
	DBDown *bool `json:"db_down,omitempty"`
	// CPUBurnSeconds, when set, burns every core for that long; 0 stops.
	CPUBurnSeconds *int `json:"cpu_burn_seconds,omitempty"`
	// Reset clears every fault first.
	Reset bool `json:"reset,omitempty"`
}

// The JSON field names the fault API accepts, per object.
var (
	requestFields = []string{"provider", "fault", "db_down", "cpu_burn_seconds", "reset"}
	faultFields   = []string{"latency_ms", "error_rate", "decline_rate", "down"}
)

// FaultState is what GET (and a successful POST) /control/faults returns.
type FaultState struct {
	// Providers has every provider, healthy ones with a zero fault.
	Providers map[string]ProviderFault `json:"providers"`
	DBDown    bool                     `json:"db_down"`
	// CPUBurning is true while a CPU burn runs.
	CPUBurning bool `json:"cpu_burning"`
}

// Faults is the demo's fault injection state, changed by flags and by the
// fault API.
type Faults struct {
	known []string // provider names, sorted

	mu        sync.RWMutex
	providers map[string]ProviderFault
	burnStop  context.CancelFunc // nil when no burn runs
	burnGen   uint64
	dbDown    atomic.Bool // read on every wallet query
}

func newFaults(providers ...string) *Faults {
	known := slices.Clone(providers)
	slices.Sort(known)
	return &Faults{known: known, providers: map[string]ProviderFault{}}
}

func (f *Faults) provider(name string) ProviderFault {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.providers[name]
}

// burnCPULocked keeps every core busy for d (replacing a burn in progress),
// so host CPU alerts can be watched; d <= 0 only stops a burn. The workers
// also stop when ctx ends. f.mu must be held.
func (f *Faults) burnCPULocked(ctx context.Context, d time.Duration) {
	if f.burnStop != nil {
		f.burnStop()
		f.burnStop = nil
	}
	if d <= 0 {
		return
	}
	bctx, cancel := context.WithTimeout(ctx, d)
	f.burnGen++
	gen := f.burnGen
	f.burnStop = cancel
	for range runtime.GOMAXPROCS(0) {
		go func() {
			x := 0
			for bctx.Err() == nil {
				for i := range 100000 {
					x += i
				}
			}
			_ = x
		}()
	}
	go func() {
		<-bctx.Done()
		f.mu.Lock()
		if f.burnGen == gen {
			f.burnStop = nil
		}
		f.mu.Unlock()
	}()
}

func (f *Faults) state() FaultState {
	f.mu.RLock()
	defer f.mu.RUnlock()
	s := FaultState{Providers: map[string]ProviderFault{}, DBDown: f.dbDown.Load(), CPUBurning: f.burnStop != nil}
	for _, k := range f.known {
		s.Providers[k] = f.providers[k]
	}
	return s
}

// fieldError is a refused request, naming the field at fault.
type fieldError struct {
	field string // "fault.error_rate"; "" for the body as a whole
	msg   string
}

func (e *fieldError) Error() string {
	if e.field == "" {
		return e.msg
	}
	return e.field + ": " + e.msg
}

// validate checks a request whole, before anything changes.
func (f *Faults) validate(req FaultRequest) error {
	if req.Fault != nil || req.Provider != "" {
		if req.Provider == "" {
			return &fieldError{"provider", "required with fault (one of " + strings.Join(f.known, ", ") + ")"}
		}
		if !slices.Contains(f.known, req.Provider) {
			return &fieldError{"provider", fmt.Sprintf("unknown provider %q (known: %s)", req.Provider, strings.Join(f.known, ", "))}
		}
		if req.Fault == nil {
			return &fieldError{"fault", fmt.Sprintf("required with provider, e.g. \"fault\":{\"error_rate\":0.5} (fields: %s)", strings.Join(faultFields, ", "))}
		}
		p := req.Fault
		if p.LatencyMS != nil && (*p.LatencyMS < 0 || *p.LatencyMS > maxLatencyMS) {
			return &fieldError{"fault.latency_ms", fmt.Sprintf("%d is outside [0, %d]", *p.LatencyMS, maxLatencyMS)}
		}
		if p.ErrorRate != nil && !(*p.ErrorRate >= 0 && *p.ErrorRate <= 1) {
			return &fieldError{"fault.error_rate", fmt.Sprintf("%v is outside [0, 1]", *p.ErrorRate)}
		}
		if p.DeclineRate != nil {
			if !(*p.DeclineRate >= 0 && *p.DeclineRate <= 1) {
				return &fieldError{"fault.decline_rate", fmt.Sprintf("%v is outside [0, 1]", *p.DeclineRate)}
			}
			if *p.DeclineRate != 0 && req.Provider != providerPSP && req.Provider != providerPSP2 {
				return &fieldError{"fault.decline_rate", fmt.Sprintf("only %s and %s decline payments, not %s", providerPSP, providerPSP2, req.Provider)}
			}
		}
	}
	if s := req.CPUBurnSeconds; s != nil && (*s < 0 || *s > maxCPUBurnS) {
		return &fieldError{"cpu_burn_seconds", fmt.Sprintf("%d is outside [0, %d]", *s, maxCPUBurnS)}
	}
	return nil
}

// apply makes a validated request's changes, all under one lock: reset
// first, then the provider's fault, the database and the CPU burn.
func (f *Faults) apply(ctx context.Context, req FaultRequest) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if req.Reset {
		clear(f.providers)
		f.dbDown.Store(false)
		f.burnCPULocked(ctx, 0)
	}
	if req.Fault != nil {
		pf := f.providers[req.Provider]
		req.Fault.applyTo(&pf)
		if pf == (ProviderFault{}) {
			delete(f.providers, req.Provider)
		} else {
			f.providers[req.Provider] = pf
		}
	}
	if req.DBDown != nil {
		f.dbDown.Store(*req.DBDown)
	}
	if req.CPUBurnSeconds != nil {
		f.burnCPULocked(ctx, time.Duration(*req.CPUBurnSeconds)*time.Second)
	}
}

// decodeFaultRequest reads a POST body strictly: one JSON object, no
// unknown field at any level (the error names it with its path, such as
// "fault.latency"), values of the right JSON type.
func decodeFaultRequest(body []byte) (FaultRequest, error) {
	var req FaultRequest
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return req, &fieldError{"", `empty body: send a JSON object such as {"reset":true}`}
	}
	// Unknown fields first, by path, so a typo is named before any type
	// error elsewhere in the body.
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return req, jsonError(err)
	}
	if top == nil {
		return req, &fieldError{"", "want a JSON object, got null"}
	}
	if err := unknownField("", top, requestFields); err != nil {
		return req, err
	}
	if raw, ok := top["fault"]; ok && !isNull(raw) {
		var fault map[string]json.RawMessage
		if err := json.Unmarshal(raw, &fault); err != nil {
			return req, jsonError(err, "fault")
		}
		if err := unknownField("fault.", fault, faultFields); err != nil {
			return req, err
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields() // the checks above already passed; a second guard
	if err := dec.Decode(&req); err != nil {
		return req, jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return req, &fieldError{"", "one JSON object expected, found more after it"}
	}
	return req, nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

func unknownField(prefix string, obj map[string]json.RawMessage, known []string) error {
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		if !slices.Contains(known, k) {
			where := "the request"
			if prefix != "" {
				where = strings.TrimSuffix(prefix, ".")
			}
			return &fieldError{"", fmt.Sprintf("unknown field %q (fields of %s: %s)", prefix+k, where, strings.Join(known, ", "))}
		}
	}
	return nil
}

// jsonError words a decoding error for a person, naming the field when the
// decoder knows it. in names the object being decoded, for errors about
// its shape.
func jsonError(err error, in ...string) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if len(in) > 0 {
			field = strings.Join(append(in, field), ".")
			field = strings.TrimSuffix(field, ".")
		}
		if field == "" {
			return &fieldError{"", fmt.Sprintf("want a JSON object, got %s", te.Value)}
		}
		return &fieldError{field, fmt.Sprintf("want %s, got %s", jsonKind(te.Type.Kind().String()), te.Value)}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &fieldError{"", fmt.Sprintf("bad JSON at byte %d: %v", se.Offset, err)}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return &fieldError{"", "bad JSON: the body ends early"}
	}
	return &fieldError{"", "bad JSON: " + strings.TrimPrefix(err.Error(), "json: ")}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "int", "int64":
		return "an integer"
	case "float64":
		return "a number"
	case "bool":
		return "true or false"
	case "string":
		return "a string"
	case "struct", "map", "ptr":
		return "an object"
	}
	return goKind
}

// handler serves the fault API: GET (state) and POST (change).
func (f *Faults) handler(ctx context.Context) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
		case http.MethodPost:
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFaultsBody))
			if err != nil {
				http.Error(w, fmt.Sprintf("body larger than %d bytes", maxFaultsBody), http.StatusRequestEntityTooLarge)
				return
			}
			req, err := decodeFaultRequest(body)
			if err == nil {
				err = f.validate(req)
			}
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			f.apply(ctx, req)
		default:
			w.Header().Set("Allow", "GET, POST")
			http.Error(w, "method not allowed: GET shows the faults, POST changes them", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(f.state())
	})
}
