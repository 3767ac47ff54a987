package checks

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/jackcode/igmon/internal/redact"
)

// healthResponse is the IETF draft-inadarei-api-health-check-06 body.
type healthResponse struct {
	Status      string                   `json:"status"`
	Version     string                   `json:"version,omitempty"`
	ReleaseID   string                   `json:"releaseId,omitempty"`
	ServiceID   string                   `json:"serviceId,omitempty"`
	Description string                   `json:"description,omitempty"`
	Notes       []string                 `json:"notes,omitempty"`
	Output      string                   `json:"output,omitempty"`
	Checks      map[string][]healthCheck `json:"checks,omitempty"`
}

type healthCheck struct {
	ComponentID   string   `json:"componentId"`
	ComponentType string   `json:"componentType,omitempty"`
	ObservedValue *float64 `json:"observedValue,omitempty"`
	ObservedUnit  string   `json:"observedUnit,omitempty"`
	Status        string   `json:"status"`
	Time          string   `json:"time,omitempty"`
	Output        string   `json:"output,omitempty"`
	// igmon extension, shown to every caller: the result is older than
	// its stale bound, so Status is "fail" only because nothing recent
	// is known (see Result.Stale); Time says how old it is.
	Stale bool `json:"stale,omitempty"`
	// igmon extensions, shown to authorized callers only.
	Critical *bool             `json:"critical,omitempty"`
	Details  map[string]string `json:"details,omitempty"`
	Override *healthOverride   `json:"override,omitempty"`
}

type healthOverride struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	Time   string `json:"time"`
}

// ietfStatus maps a status to the draft's three values; unknown is fail.
func ietfStatus(s Status) string {
	if s == StatusUnknown {
		return "fail"
	}
	return s.String()
}

func (h *handler) healthJSON(rep Report, detailed bool) []byte {
	resp := healthResponse{
		Status:      ietfStatus(rep.Status),
		Version:     h.cfg.info.Version,
		ReleaseID:   h.cfg.info.ReleaseID,
		ServiceID:   h.cfg.info.ServiceID,
		Description: h.cfg.info.Description,
		Checks:      make(map[string][]healthCheck, len(rep.Results)),
	}
	if rep.Draining {
		resp.Notes = append(resp.Notes, "draining: "+errDraining.Error())
	}
	for _, res := range rep.Results {
		measurement, value, unit := observation(res, h.r.entryMeasurement(res.Name))
		hc := healthCheck{
			ComponentID:   res.Name,
			ComponentType: res.ComponentType,
			Status:        ietfStatus(res.Status),
			Stale:         res.Stale,
		}
		if !res.Time.IsZero() {
			hc.Time = res.Time.UTC().Format(time.RFC3339Nano)
		}
		if detailed {
			if unit != "" {
				v := value
				hc.ObservedValue, hc.ObservedUnit = &v, unit
			}
			if res.Status != StatusPass || res.Err != nil {
				hc.Output = redact.Error(res.Err)
			}
			crit := res.Critical
			hc.Critical = &crit
			if len(res.Details) > 0 {
				hc.Details = make(map[string]string, len(res.Details))
				for k, v := range res.Details {
					hc.Details[k] = redact.String(v)
				}
			}
			if ov := res.Override; ov != nil {
				hc.Override = &healthOverride{Status: ov.Status.String(), Reason: redact.String(ov.Reason), Time: ov.Time.UTC().Format(time.RFC3339Nano)}
			}
		}
		// The draft forbids ':' inside either half of the key; a check
		// name cannot hold one, a measurement passed to Observe might.
		key := res.Name + ":" + strings.ReplaceAll(measurement, ":", "_")
		resp.Checks[key] = append(resp.Checks[key], hc)
	}
	b, err := json.Marshal(resp)
	if err != nil { // cannot happen with these types; never send a half body
		return []byte(`{"status":"fail"}`)
	}
	return b
}

// observation picks the measurement shown for a result: what the check
// observed, else its run time in milliseconds as "responseTime".
func observation(res Result, configured string) (measurement string, value float64, unit string) {
	if o := res.Observation; o != nil {
		measurement = o.Measurement
		if measurement == "" {
			measurement = configured
		}
		if measurement == "" {
			measurement = "value"
		}
		return measurement, o.Value, o.Unit
	}
	if configured == "" {
		configured = "responseTime"
	}
	if res.Time.IsZero() {
		return configured, 0, ""
	}
	return configured, float64(res.Duration.Microseconds()) / 1000, "ms"
}

func (r *Registry) entryMeasurement(name string) string {
	if e := r.snap.Load().byName[name]; e != nil {
		return e.c.s.measurement
	}
	return ""
}
