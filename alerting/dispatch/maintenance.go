package dispatch

import (
	"fmt"
	"slices"
	"time"

	"github.com/jackcode/igmon/alerting"
)

// MaintenanceWindow mutes matching firing alerts while it is active. It is
// either one-off (Start, End) or recurring (Weekdays, TimeOfDay and
// Duration in Location, so "Sundays 02:00–04:00 Europe/Malta" follows
// daylight saving time).
type MaintenanceWindow struct {
	Name     string
	Matchers alerting.Matchers // empty: everything

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
		return fmt.Errorf("%w: maintenance window: name is required", alerting.ErrInvalidOption)
	case oneOff && !w.End.After(w.Start):
		return fmt.Errorf("%w: maintenance window %q: end must be after start", alerting.ErrInvalidOption, w.Name)
	case !oneOff && w.Duration <= 0:
		return fmt.Errorf("%w: maintenance window %q: duration must be positive", alerting.ErrInvalidOption, w.Name)
	case !oneOff && (w.TimeOfDay < 0 || w.TimeOfDay >= 24*time.Hour):
		return fmt.Errorf("%w: maintenance window %q: time of day must be within a day", alerting.ErrInvalidOption, w.Name)
	}
	return nil
}

// activeAt reports whether the window covers t.
//
// A recurring window opens and closes on the wall clock of Location, as
// Alertmanager's time intervals and cron do: "Sundays 02:00, 2h" is
// 02:00–04:00 local time on every Sunday, so on the night clocks go back
// it lasts three real hours and on the night they go forward one. A
// start or end that falls into the hour skipped by a DST change is the
// moment the clock jumps (03:00 in Europe and the USA).
func (w *MaintenanceWindow) activeAt(t time.Time) bool {
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
	days := int((w.TimeOfDay+w.Duration)/(24*time.Hour)) + 1
	for d := 0; d <= days; d++ {
		day := lt.AddDate(0, 0, -d)
		if len(w.Weekdays) > 0 && !slices.Contains(w.Weekdays, day.Weekday()) {
			continue
		}
		start := wallTime(day, w.TimeOfDay, loc)
		end := wallTime(day, w.TimeOfDay+w.Duration, loc)
		if !t.Before(start) && t.Before(end) {
			return true
		}
	}
	return false
}

// wallTime is the instant the wall clock of loc shows midnight of day's
// date plus off. A wall time skipped by a DST change maps to the moment
// of the change, whichever way time.Date normalised it; a repeated wall
// time maps to its first occurrence.
func wallTime(day time.Time, off time.Duration, loc *time.Location) time.Time {
	sec := int(off / time.Second)
	t := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, sec, int(off%time.Second), loc)
	want := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, sec, int(off%time.Second), time.UTC)
	got := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	switch {
	case got.Before(want): // normalised to before the gap: the gap starts at this zone's end
		if _, end := t.ZoneBounds(); !end.IsZero() {
			return end
		}
	case got.After(want): // normalised past the gap: the zone began at the change
		if start, _ := t.ZoneBounds(); !start.IsZero() {
			return start
		}
	default:
		// After clocks go back, the hour before the change repeats: if
		// the same wall time also existed in the previous zone, use it.
		if start, _ := t.ZoneBounds(); !start.IsZero() {
			_, prev := start.Add(-time.Nanosecond).Zone()
			_, cur := t.Zone()
			if prev > cur {
				if earlier := t.Add(-time.Duration(prev-cur) * time.Second); earlier.Before(start) {
					return earlier
				}
			}
		}
	}
	return t
}
