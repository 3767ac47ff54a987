// Package window keeps a sliding window of recent calls: per one-second
// bucket, how many calls ended with each outcome kind, the total latency and
// a log-linear latency histogram good enough for p50/p95/p99 (relative error
// at most 1/16 above 16µs).
//
// A Window is written from many goroutines on the hot path of every tracked
// call, so [Window.Record] takes no lock and allocates nothing: it finds the
// bucket for the current second and adds to a few atomic counters. A bucket
// that still holds an older second is cleared by the first writer that
// needs it; other writers of that bucket wait the few hundred nanoseconds
// the clear takes, which happens at most once per bucket per second.
//
// Readers ([Window.Snapshot]) sum the buckets of the last Size seconds. A
// snapshot taken while writers are active may see a call's outcome but not
// yet its latency (the counters are not updated as one unit); for monitoring
// figures over tens of seconds that is immaterial, and it keeps writers free
// of locks.
//
// Time is passed in by the caller, so tests drive windows with a fake clock.
package window
