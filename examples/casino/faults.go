package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// ProviderFault is what can go wrong with one provider.
type ProviderFault struct {
	LatencyMS   int     `json:"latency_ms"`   // added to every call
	ErrorRate   float64 `json:"error_rate"`   // share of calls answered 503
	DeclineRate float64 `json:"decline_rate"` // share of payments declined (business outcome)
	Down        bool    `json:"down"`         // connections are closed without an answer
}

// Faults is the demo's fault injection state, changed by flags and by the
// /control/faults endpoint.
type Faults struct {
	mu        sync.RWMutex
	providers map[string]ProviderFault
	dbDown    atomic.Bool
	burning   atomic.Int32
}

func newFaults() *Faults {
	return &Faults{providers: map[string]ProviderFault{}}
}

func (f *Faults) provider(name string) ProviderFault {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.providers[name]
}

func (f *Faults) setProvider(name string, pf ProviderFault) {
	f.mu.Lock()
	f.providers[name] = pf
	f.mu.Unlock()
}

// burnCPU keeps every core busy for d, so host CPU alerts can be watched.
func (f *Faults) burnCPU(ctx context.Context, d time.Duration) {
	if !f.burning.CompareAndSwap(0, 1) {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := 0
			for ctx.Err() == nil {
				for i := range 100000 {
					x += i
				}
			}
			_ = x
		}()
	}
	go func() {
		wg.Wait()
		cancel()
		f.burning.Store(0)
	}()
}

// faultRequest is the body of POST /control/faults.
type faultRequest struct {
	Provider string         `json:"provider,omitempty"`
	Fault    *ProviderFault `json:"fault,omitempty"`
	DBDown   *bool          `json:"db_down,omitempty"`
	CPUBurnS int            `json:"cpu_burn_seconds,omitempty"`
	Reset    bool           `json:"reset,omitempty"`
}

type faultState struct {
	Providers map[string]ProviderFault `json:"providers"`
	DBDown    bool                     `json:"db_down"`
	CPUBurn   bool                     `json:"cpu_burning"`
}

func (f *Faults) state() faultState {
	f.mu.RLock()
	defer f.mu.RUnlock()
	s := faultState{Providers: map[string]ProviderFault{}, DBDown: f.dbDown.Load(), CPUBurn: f.burning.Load() == 1}
	for k, v := range f.providers {
		s.Providers[k] = v
	}
	return s
}

// handler serves GET (state) and POST (change) /control/faults.
func (f *Faults) handler(ctx context.Context, known map[string]bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
		case http.MethodPost:
			var req faultRequest
			if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req); err != nil {
				http.Error(w, "bad JSON: "+err.Error(), http.StatusBadRequest)
				return
			}
			if req.Reset {
				f.mu.Lock()
				f.providers = map[string]ProviderFault{}
				f.mu.Unlock()
				f.dbDown.Store(false)
			}
			if req.Fault != nil {
				if !known[req.Provider] {
					http.Error(w, fmt.Sprintf("unknown provider %q", req.Provider), http.StatusBadRequest)
					return
				}
				if req.Fault.ErrorRate < 0 || req.Fault.ErrorRate > 1 || req.Fault.DeclineRate < 0 || req.Fault.DeclineRate > 1 || req.Fault.LatencyMS < 0 || req.Fault.LatencyMS > 60000 {
					http.Error(w, "error_rate and decline_rate must be in [0,1], latency_ms in [0,60000]", http.StatusBadRequest)
					return
				}
				f.setProvider(req.Provider, *req.Fault)
			}
			if req.DBDown != nil {
				f.dbDown.Store(*req.DBDown)
			}
			if req.CPUBurnS > 0 {
				f.burnCPU(ctx, time.Duration(min(req.CPUBurnS, 600))*time.Second)
			}
		default:
			w.Header().Set("Allow", "GET, POST")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(f.state())
	})
}
