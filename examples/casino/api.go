package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/jackcode/igmon/failover"
	"github.com/jackcode/igmon/instrument"
)

// api is the platform's own wallet and betting API.
type api struct {
	store *store
	psp   *providerClient
	// deposits routes a deposit to stripe or adyen (nil: -failover=false,
	// every deposit goes to stripe).
	deposits *failover.Group
	psps     map[string]*providerClient
	games    *providerClient
	kyc      *providerClient
}

func (a *api) routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/players/{player}/deposit", a.deposit)
	mux.HandleFunc("POST /api/players/{player}/withdraw", a.withdraw)
	mux.HandleFunc("POST /api/players/{player}/kyc", a.verify)
	mux.HandleFunc("GET /api/players/{player}/balance", a.balance)
	mux.HandleFunc("POST /api/games/{game}/launch", a.launch)
	mux.HandleFunc("POST /api/games/{game}/bets", a.bet)
}

type amountReq struct {
	Player      string `json:"player,omitempty"`
	AmountCents int64  `json:"amount_cents"`
}

func readAmount(w http.ResponseWriter, r *http.Request) (int64, bool) {
	var req amountReq
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req); err != nil || req.AmountCents <= 0 || req.AmountCents > 1_000_000_00 {
		http.Error(w, `{"error":"amount_cents must be a positive integer"}`, http.StatusBadRequest)
		return 0, false
	}
	return req.AmountCents, true
}

func fail(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, errDeclined):
		writeJSON(w, http.StatusPaymentRequired, map[string]string{"error": "declined"})
	case errors.Is(err, errInsufficient):
		writeJSON(w, http.StatusConflict, map[string]string{"error": "insufficient balance"})
	default:
		// The detail goes to logs and metrics, not to players.
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": "temporarily unavailable"})
	}
}

func (a *api) deposit(w http.ResponseWriter, r *http.Request) {
	amount, ok := readAmount(w, r)
	if !ok {
		return
	}
	player := r.PathValue("player")
	ctx := instrument.WithOperation(r.Context(), "deposit")
	charge := func(ctx context.Context, c *providerClient) error {
		return c.post(ctx, "/v1/charges", map[string]any{"amount": amount, "currency": "EUR"}, nil)
	}
	var err error
	if a.deposits != nil {
		err = a.deposits.Do(ctx, func(ctx context.Context, provider string) error { return charge(ctx, a.psps[provider]) })
	} else {
		err = charge(ctx, a.psp)
	}
	if err != nil {
		fail(w, err)
		return
	}
	bal, err := a.store.adjust(r.Context(), player, amount)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, 200, map[string]int64{"balance_cents": bal})
}

func (a *api) withdraw(w http.ResponseWriter, r *http.Request) {
	amount, ok := readAmount(w, r)
	if !ok {
		return
	}
	player := r.PathValue("player")
	bal, err := a.store.adjust(r.Context(), player, -amount)
	if err != nil {
		fail(w, err)
		return
	}
	ctx := instrument.WithOperation(r.Context(), "withdraw")
	if err := a.psp.post(ctx, "/v1/payouts", map[string]any{"amount": amount, "currency": "EUR"}, nil); err != nil {
		_, _ = a.store.adjust(r.Context(), player, amount) // refund the wallet
		fail(w, err)
		return
	}
	writeJSON(w, 200, map[string]int64{"balance_cents": bal})
}

func (a *api) verify(w http.ResponseWriter, r *http.Request) {
	ctx := instrument.WithOperation(r.Context(), "verify")
	var out map[string]string
	if err := a.kyc.post(ctx, "/v1/verifications", map[string]string{"player": r.PathValue("player")}, &out); err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, 200, out)
}

func (a *api) balance(w http.ResponseWriter, r *http.Request) {
	bal, err := a.store.balance(r.Context(), r.PathValue("player"))
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, 200, map[string]int64{"balance_cents": bal})
}

func (a *api) launch(w http.ResponseWriter, r *http.Request) {
	ctx := instrument.WithOperation(r.Context(), "launch_game")
	var out map[string]string
	if err := a.games.post(ctx, "/v1/sessions", map[string]string{"game": r.PathValue("game")}, &out); err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, 200, out)
}

func (a *api) bet(w http.ResponseWriter, r *http.Request) {
	stake, ok := readAmount(w, r)
	if !ok {
		return
	}
	player := r.URL.Query().Get("player")
	if player == "" {
		http.Error(w, `{"error":"player query parameter required"}`, http.StatusBadRequest)
		return
	}
	if _, err := a.store.adjust(r.Context(), player, -stake); err != nil {
		fail(w, err)
		return
	}
	ctx := instrument.WithOperation(r.Context(), "place_bet")
	var out struct {
		Multiplier float64 `json:"multiplier"`
	}
	if err := a.games.post(ctx, "/v1/rounds", map[string]any{"game": r.PathValue("game"), "stake": stake}, &out); err != nil {
		_, _ = a.store.adjust(r.Context(), player, stake) // void the round
		fail(w, err)
		return
	}
	win := int64(out.Multiplier * float64(stake))
	bal, err := a.store.adjust(r.Context(), player, win)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, 200, map[string]string{"win_cents": strconv.FormatInt(win, 10), "balance_cents": strconv.FormatInt(bal, 10)})
}
