package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// traffic plays players against the API at about rps requests per second
// until ctx ends.
func traffic(ctx context.Context, base string, rps int, client *http.Client) {
	if rps <= 0 {
		return
	}
	t := time.NewTicker(time.Second / time.Duration(rps))
	defer t.Stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	// Bounded: a slow provider must not pile up unbounded goroutines.
	sem := make(chan struct{}, 64)
	games := []string{"sweet-bonanza", "gates-of-olympus", "book-of-dead"}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		player := fmt.Sprintf("p%03d", rand.IntN(200))
		game := games[rand.IntN(len(games))]
		var method, path, body string
		switch n := rand.IntN(100); {
		case n < 20:
			method, path, body = "POST", "/api/players/"+player+"/deposit", `{"amount_cents":5000}`
		case n < 25:
			method, path, body = "POST", "/api/players/"+player+"/withdraw", `{"amount_cents":2000}`
		case n < 28:
			method, path = "POST", "/api/players/"+player+"/kyc"
		case n < 40:
			method, path = "POST", "/api/games/"+game+"/launch"
		case n < 85:
			method, path, body = "POST", "/api/games/"+game+"/bets?player="+player, `{"amount_cents":100}`
		default:
			method, path = "GET", "/api/players/"+player+"/balance"
		}
		select {
		case sem <- struct{}{}:
		default:
			continue // saturated: skip this tick, like a real client timing out
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			req, err := http.NewRequestWithContext(ctx, method, base+path, bytes.NewBufferString(body))
			if err != nil {
				return
			}
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}()
	}
}
