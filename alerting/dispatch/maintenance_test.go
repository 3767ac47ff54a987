package dispatch

import (
	"testing"
	"time"
)

func TestMaintenanceWindowAcrossDSTChanges(t *testing.T) {
	ny, err1 := time.LoadLocation("America/New_York")
	malta, err2 := time.LoadLocation("Europe/Malta")
	if err1 != nil || err2 != nil {
		t.Skip("no tzdata:", err1, err2)
	}
	utc := func(h, m int, day int, month time.Month) time.Time {
		return time.Date(2026, month, day, h, m, 0, 0, time.UTC)
	}
	tests := []struct {
		name string
		w    MaintenanceWindow
		at   time.Time
		want bool
	}{
		// New York springs forward on Sunday 2026-03-08: 02:00 EST → 03:00 EDT.
		// "Sundays 02:00–04:00" opens when the clock jumps, at 03:00 EDT.
		{"NY spring: 01:30 EST is before the window", nyWin(ny, 2*time.Hour, 2*time.Hour), utc(6, 30, 8, 3), false},
		{"NY spring: 01:59 EST", nyWin(ny, 2*time.Hour, 2*time.Hour), utc(6, 59, 8, 3), false},
		{"NY spring: 03:00 EDT opens", nyWin(ny, 2*time.Hour, 2*time.Hour), utc(7, 0, 8, 3), true},
		{"NY spring: 03:59 EDT", nyWin(ny, 2*time.Hour, 2*time.Hour), utc(7, 59, 8, 3), true},
		{"NY spring: 04:00 EDT closes on the wall clock", nyWin(ny, 2*time.Hour, 2*time.Hour), utc(8, 0, 8, 3), false},
		// New York falls back on Sunday 2026-11-01: 02:00 EDT → 01:00 EST.
		// "Sundays 01:00–02:00" opens at the first 01:00 and lasts until 02:00 EST.
		{"NY fall: 00:59 EDT", nyWin(ny, time.Hour, time.Hour), utc(4, 59, 1, 11), false},
		{"NY fall: first 01:30 (EDT)", nyWin(ny, time.Hour, time.Hour), utc(5, 30, 1, 11), true},
		{"NY fall: second 01:30 (EST)", nyWin(ny, time.Hour, time.Hour), utc(6, 30, 1, 11), true},
		{"NY fall: 02:00 EST closes", nyWin(ny, time.Hour, time.Hour), utc(7, 0, 1, 11), false},
		// Malta falls back on Sunday 2026-10-25: 03:00 CEST → 02:00 CET.
		{"Malta fall: first 02:00 (CEST) opens", maltaWin(malta), utc(0, 0, 25, 10), true},
		{"Malta fall: 23:59 UTC is 01:59 CEST", maltaWin(malta), utc(23, 59, 24, 10), false},
		{"Malta fall: second 02:30 (CET)", maltaWin(malta), utc(1, 30, 25, 10), true},
		{"Malta fall: 03:00 CET closes", maltaWin(malta), utc(2, 0, 25, 10), false},
		// An ordinary Sunday: 02:00–03:00 CET.
		{"Malta winter", maltaWin(malta), utc(1, 30, 1, 11), true},
		{"Malta winter end", maltaWin(malta), utc(2, 0, 1, 11), false},
	}
	for _, tt := range tests {
		if got := tt.w.activeAt(tt.at); got != tt.want {
			t.Errorf("%s: Active(%v) = %v, want %v", tt.name, tt.at.In(tt.w.Location), got, tt.want)
		}
	}
}

func nyWin(ny *time.Location, at, d time.Duration) MaintenanceWindow {
	return MaintenanceWindow{Name: "nightly", Weekdays: []time.Weekday{time.Sunday}, TimeOfDay: at, Duration: d, Location: ny}
}

func maltaWin(malta *time.Location) MaintenanceWindow {
	return MaintenanceWindow{Name: "PSP upgrades", Weekdays: []time.Weekday{time.Sunday}, TimeOfDay: 2 * time.Hour,
		Duration: time.Hour, Location: malta}
}
