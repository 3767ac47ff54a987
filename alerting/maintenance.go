package alerting

import (
	"fmt"
	"slices"
	"time"
)

// MaintenanceWindow mutes matching firing alerts while it is active. It is
// either one-off (Start, End) or recurring (Weekdays, TimeOfDay and
// Duration in Location, so "Sundays 02:00–04:00 Europe/Malta" follows
// daylight saving time).
type MaintenanceWindow struct {
	Name     string
	Matchers Matchers // empty: everything

	// One-off.
	Start, End time.Time

	// Recurring.
	Weekdays  []time.Weekday // empty: every day
	TimeOfDay time.Duration  // offset from local midnight, e.g. 2h
	Duration  time.Duration
	Location  *time.Location // nil: UTC
}

func (w *MaintenanceWindow) validate() error {
	oneOff := !w.Start.IsZero() || !w.End.IsZero()
	switch {
	case w.Name == "":
		return fmt.Errorf("%w: maintenance window: name is required", ErrInvalidOption)
	case oneOff && !w.End.After(w.Start):
		return fmt.Errorf("%w: maintenance window %q: end must be after start", ErrInvalidOption, w.Name)
	case !oneOff && w.Duration <= 0:
		return fmt.Errorf("%w: maintenance window %q: duration must be positive", ErrInvalidOption, w.Name)
	case !oneOff && (w.TimeOfDay < 0 || w.TimeOfDay >= 24*time.Hour):
		return fmt.Errorf("%w: maintenance window %q: time of day must be within a day", ErrInvalidOption, w.Name)
	}
	return nil
}

// Active reports whether the window covers t.
func (w *MaintenanceWindow) Active(t time.Time) bool {
	if !w.Start.IsZero() || !w.End.IsZero() {
		return !t.Before(w.Start) && t.Before(w.End)
	}
	loc := w.Location
	if loc == nil {
		loc = time.UTC
	}
	lt := t.In(loc)
	// A window that started on one of the previous days may still be open
	// (durations longer than a day, or windows crossing midnight).
	days := int(w.Duration/(24*time.Hour)) + 1
	for d := 0; d <= days; d++ {
		day := lt.AddDate(0, 0, -d)
		if len(w.Weekdays) > 0 && !slices.Contains(w.Weekdays, day.Weekday()) {
			continue
		}
		h, m := int(w.TimeOfDay/time.Hour), int(w.TimeOfDay%time.Hour/time.Minute)
		s := int(w.TimeOfDay % time.Minute / time.Second)
		start := time.Date(day.Year(), day.Month(), day.Day(), h, m, s, 0, loc)
		if !t.Before(start) && t.Before(start.Add(w.Duration)) {
			return true
		}
	}
	return false
}
