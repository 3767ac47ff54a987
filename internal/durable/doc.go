// Package durable keeps state in crash-safe snapshot files, the way
// Alertmanager keeps its silences and notification log: a whole snapshot
// is written to a temporary file in the same directory, synced, and
// renamed over the previous one; the directory is synced too, so the
// rename survives a power loss.
//
// Every file starts with a small header (magic, format version, kind,
// payload length) and ends with a CRC-32C of everything before it, so a
// torn, truncated or foreign file is recognised and reported with its
// path instead of being half-read. The snapshot that was current before
// the last write stays next to it as NAME.prev: Load falls back to it
// when the latest is missing or corrupt, so a crash at any point of a
// write leaves at least one whole snapshot.
package durable
