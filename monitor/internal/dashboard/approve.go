package dashboard

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// ActionApprover is implemented by an Actions that holds alert actions
// waiting for an operator (see monitor.ActionApproval). The page shows
// them from Snapshot.PendingActions; POST api/actions/approve runs one,
// behind the same authorizer and same-origin JSON check as every action.
type ActionApprover interface {
	// ApproveAction runs the pending action id on behalf of author. It
	// wraps ErrNotFound for an unknown id, ErrInvalid for one the rate
	// limit refuses.
	ApproveAction(ctx context.Context, id, author string) error
}

// PendingAction is an alert action that waits for an operator's approval.
type PendingAction struct {
	ID     string    `json:"id"`
	Action string    `json:"action"` // the registered action's name
	Alert  string    `json:"alert"`  // the rule and labels that triggered it
	Since  time.Time `json:"since"`
}

type approveBody struct {
	ID     string `json:"id"`
	Author string `json:"author"`
}

func (h *Handler) approveAction(ctx context.Context, body []byte) ([]slog.Attr, any, error) {
	var b approveBody
	if err := decodeStrict(body, &b); err != nil {
		return nil, nil, err
	}
	if err := checkText("id", b.ID, maxIDLen, true); err != nil {
		return nil, nil, err
	}
	if err := checkText("author", b.Author, maxIDLen, true); err != nil {
		return nil, nil, err
	}
	attrs := []slog.Attr{slog.String("id", b.ID), slog.String("author", b.Author)}
	ap, ok := h.cfg.actions.(ActionApprover)
	if !ok {
		return attrs, nil, fmt.Errorf("%w: no action awaits approval", ErrNotFound)
	}
	if err := ap.ApproveAction(ctx, b.ID, b.Author); err != nil {
		return attrs, nil, err
	}
	return attrs, okResponse{OK: true, ID: b.ID}, nil
}
