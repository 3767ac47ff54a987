package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/jackcode/igmon/instrument"
)

// The local stand-ins for the platform's third parties. Each is a real HTTP
// server on loopback whose behaviour the fault injection changes.
const (
	providerPSP  = "stripe"         // payment service provider
	providerPSP2 = "adyen"          // the second PSP deposits fail over to
	providerGame = "pragmatic-play" // game aggregator
	providerKYC  = "sumsub"         // identity verification
)

// providerNames lists the providers, for flags and the fault API.
var providerNames = []string{providerPSP, providerPSP2, providerGame, providerKYC}

type providers struct {
	faults  *Faults
	servers []*http.Server
	wg      sync.WaitGroup
	urls    map[string]string
}

func startProviders(faults *Faults) (*providers, error) {
	p := &providers{faults: faults, urls: map[string]string{}}
	routes := map[string]http.Handler{
		providerPSP:  p.psp(providerPSP),
		providerPSP2: p.psp(providerPSP2),
		providerGame: p.games(),
		providerKYC:  p.kyc(),
	}
	for name, h := range routes {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			p.close(context.Background())
			return nil, err
		}
		srv := &http.Server{Handler: p.faulty(name, h), ReadHeaderTimeout: 5 * time.Second}
		p.servers = append(p.servers, srv)
		p.urls[name] = "http://" + ln.Addr().String()
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			_ = srv.Serve(ln)
		}()
	}
	return p, nil
}

func (p *providers) close(ctx context.Context) {
	for _, s := range p.servers {
		_ = s.Shutdown(ctx)
	}
	p.wg.Wait()
}

// faulty applies the provider's injected faults before its real handler.
func (p *providers) faulty(name string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := p.faults.provider(name)
		if f.Down {
			// An outage as clients see it: the connection drops.
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					_ = conn.Close()
					return
				}
			}
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		if f.LatencyMS > 0 {
			select {
			case <-time.After(time.Duration(f.LatencyMS) * time.Millisecond):
			case <-r.Context().Done():
				return
			}
		}
		if r.URL.Path != "/health" && f.ErrorRate > 0 && rand.Float64() < f.ErrorRate {
			http.Error(w, `{"error":"upstream unavailable"}`, http.StatusServiceUnavailable)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// baseLatency is a provider's normal think time.
func baseLatency(ms int) {
	time.Sleep(time.Duration(ms/2+rand.IntN(ms)) * time.Millisecond)
}

// psp is a payment service provider; stripe and adyen are two of them.
func (p *providers) psp(name string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]string{"status": "ok"}) })
	pay := func(kind string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			baseLatency(40)
			if d := p.faults.provider(name).DeclineRate; d > 0 && rand.Float64() < d {
				writeJSON(w, http.StatusPaymentRequired, map[string]string{"status": "declined", "decline_code": "insufficient_funds"})
				return
			}
			writeJSON(w, 200, map[string]string{"status": "succeeded", "id": fmt.Sprintf("%s_%d", kind, rand.Int64())})
		}
	}
	mux.HandleFunc("POST /v1/charges", pay("ch"))
	mux.HandleFunc("POST /v1/payouts", pay("po"))
	return mux
}

func (p *providers) games() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]string{"status": "ok"}) })
	mux.HandleFunc("POST /v1/sessions", func(w http.ResponseWriter, r *http.Request) {
		baseLatency(25)
		writeJSON(w, 200, map[string]string{"url": "https://games.example/play/" + fmt.Sprint(rand.Int64())})
	})
	mux.HandleFunc("POST /v1/rounds", func(w http.ResponseWriter, r *http.Request) {
		baseLatency(15)
		win := 0.0
		if rand.Float64() < 0.45 {
			win = 2
		}
		writeJSON(w, 200, map[string]float64{"multiplier": win})
	})
	return mux
}

func (p *providers) kyc() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]string{"status": "ok"}) })
	mux.HandleFunc("POST /v1/verifications", func(w http.ResponseWriter, r *http.Request) {
		baseLatency(120)
		writeJSON(w, 200, map[string]string{"status": "approved"})
	})
	return mux
}

// providerClient calls one provider through the instrumented transport.
type providerClient struct {
	base   string
	client *http.Client
}

var errDeclined = errors.New("payment declined")

func (c *providerClient) post(ctx context.Context, path string, body any, out any) error {
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytesReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusPaymentRequired {
		// A business outcome: it must not count against the provider,
		// nor open its breaker.
		return instrument.Declined(errDeclined)
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s: HTTP %d", path, resp.StatusCode)
	}
	if out != nil {
		return json.NewDecoder(resp.Body).Decode(out)
	}
	return nil
}
