package monitor

import (
	"context"
	"crypto/sha256"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/jackcode/igmon/internal/alerthook"
	"github.com/jackcode/igmon/internal/durable"
)

// ErrCorruptState is wrapped by the error New returns when a state file in
// the data directory (WithDataDir) is corrupt, torn or not igmon's, and
// its previous snapshot cannot be used either. The error names the file.
// WithDiscardCorruptState starts empty instead.
var ErrCorruptState = errors.New("monitor: corrupt state file")

// defaultSnapshotInterval is how often the Monitor saves its state to the
// data directory while running, besides soon after every change and at
// Shutdown.
const defaultSnapshotInterval = 30 * time.Second

// minSaveGap is the least time between two saves while running: at most
// this much of the latest changes is lost in a crash.
const minSaveGap = time.Second

// WithDataDir makes silences, alert states, the notification log and the
// event log survive a restart: they are saved as snapshot files in dir
// (created if missing, mode 0700) and loaded by New. Without it they live
// in memory only and a restart starts empty. One Monitor per directory:
// New locks it (the file LOCK) and fails while another Monitor holds it.
func WithDataDir(dir string) Option {
	return optionFunc(func(c *config) {
		if !c.once("WithDataDir") {
			return
		}
		if dir == "" {
			c.fail("WithDataDir", "directory must not be empty")
		}
		c.dataDir = dir
	})
}

// WithDiscardCorruptState makes New start with empty state, log a warning
// and move the bad files aside (NAME.corrupt) when a state file in the data
// directory is corrupt, instead of failing with ErrCorruptState.
func WithDiscardCorruptState() Option {
	return optionFunc(func(c *config) { c.discardCorrupt = true })
}

// stateSource is one piece of state the data directory keeps, in its own
// snapshot file named name (also its kind in the file header).
type stateSource struct {
	name  string
	state interface {
		encoding.BinaryMarshaler
		encoding.BinaryUnmarshaler
	}
}

// stateStore saves the Monitor's state sources to the data directory and
// loads them back.
type stateStore struct {
	dir     string
	logger  *slog.Logger
	every   time.Duration
	sources []stateSource

	mu   sync.Mutex          // serializes saves
	last map[string][32]byte // digest of the payload last written, per file

	changed chan struct{}
	stop    chan struct{}
	done    chan struct{}
	unlock  func() error // releases the directory's lock
}

// stateSources lists every piece of state a data directory keeps, in the
// order New restores them (the event log first, so what the others record
// follows its restored tail). Another piece joins by appending here a
// source with a file name of its own and a value implementing
// encoding.BinaryMarshaler and encoding.BinaryUnmarshaler, as the
// dashboard's per-component history does.
func (m *Monitor) stateSources() []stateSource {
	srcs := []stateSource{{"events", eventsState{m.events}}}
	if m.history != nil {
		srcs = append(srcs, stateSource{"history", m.history})
	}
	if a := m.alerting; a != nil {
		srcs = append(srcs,
			stateSource{"silences", alerthook.State(a.silences)},
			stateSource{"alerts", alerthook.State(a.eval)},
			stateSource{"nflog", alerthook.State(a.disp)})
	}
	return srcs
}

// initState loads the saved state (WithDataDir) before anything runs.
func (m *Monitor) initState() error {
	if m.cfg.dataDir == "" {
		return nil
	}
	dir := m.cfg.dataDir
	if m.history != nil {
		m.history.durable = true // 7 d and 30 d ranges are offered
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("monitor: option WithDataDir: %w", err)
	}
	unlock, err := durable.Lock(dir)
	if err != nil {
		return fmt.Errorf("monitor: option WithDataDir: %w (one Monitor per data directory)", err)
	}
	s := &stateStore{dir: dir, logger: m.logger, every: defaultSnapshotInterval, sources: m.stateSources(),
		last: map[string][32]byte{}, changed: make(chan struct{}, 1), unlock: unlock}
	var loaded []string
	for _, src := range s.sources {
		ok, err := s.load(src, m.cfg.discardCorrupt)
		if err != nil {
			return errors.Join(err, unlock())
		}
		if ok {
			loaded = append(loaded, src.name)
		}
	}
	m.logger.Info("igmon: state loaded", slog.String("dir", dir), slog.Any("files", loaded))
	if a := m.alerting; a != nil {
		// The restored alerts are known: the first cycle records no
		// event for a state they already had.
		a.mu.Lock()
		for _, al := range a.eval.Alerts() {
			a.prev[al.Fingerprint] = al.State
		}
		a.mu.Unlock()
	}
	m.events.changed = s.changed
	m.state = s
	return nil
}

// load restores one source and reports whether a file was there. A
// missing file is a first start.
func (s *stateStore) load(src stateSource, discard bool) (bool, error) {
	payload, from, err := durable.Load(s.dir, src.name, src.name)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err == nil {
		if from.Skipped != nil {
			s.logger.Warn("igmon: state file unreadable, loaded the previous snapshot",
				slog.String("file", filepath.Join(s.dir, src.name)), slog.String("error", from.Skipped.Error()))
		}
		if uerr := src.state.UnmarshalBinary(payload); uerr != nil {
			err = fmt.Errorf("%s: %w", from.Path, uerr)
		} else {
			s.last[src.name] = sha256.Sum256(payload)
			return true, nil
		}
	}
	if !discard {
		return false, fmt.Errorf("monitor: option WithDataDir: %w: %v (WithDiscardCorruptState starts empty instead)", ErrCorruptState, err)
	}
	path := filepath.Join(s.dir, src.name)
	s.logger.Warn("igmon: state file corrupt, starting empty (WithDiscardCorruptState); moved aside with suffix "+durable.CorruptSuffix,
		slog.String("file", path), slog.String("error", err.Error()))
	for _, p := range []string{path, path + durable.PrevSuffix} {
		if rerr := os.Rename(p, p+durable.CorruptSuffix); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			return false, fmt.Errorf("monitor: option WithDataDir: move corrupt %s aside: %w", p, rerr)
		}
	}
	return false, nil
}

// save writes every source whose state changed since its last write.
func (s *stateStore) save() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for _, src := range s.sources {
		b, err := src.state.MarshalBinary()
		if err != nil {
			errs = append(errs, fmt.Errorf("state %s: %w", src.name, err))
			continue
		}
		sum := sha256.Sum256(b)
		if s.last[src.name] == sum {
			continue
		}
		if err := durable.Write(s.dir, src.name, src.name, b); err != nil {
			errs = append(errs, err)
			continue
		}
		s.last[src.name] = sum
	}
	return errors.Join(errs...)
}

// start saves every interval and soon after a change, until stopShutdown.
func (s *stateStore) start() {
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(s.done)
		t := time.NewTicker(s.every)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
			case <-s.changed:
			}
			if err := s.save(); err != nil {
				s.logger.LogAttrs(context.Background(), slog.LevelWarn, "igmon: saving state failed", slog.String("error", err.Error()))
			}
			// A burst of changes (a flapping check) costs one write per
			// gap, not one per change: a write syncs the disk twice.
			gap := time.NewTimer(minSaveGap)
			select {
			case <-s.stop:
				gap.Stop()
				return
			case <-gap.C:
			}
		}
	}()
}

// shutdown stops the loop (if it runs) and saves a last time.
func (s *stateStore) shutdown() error {
	if s.stop != nil {
		close(s.stop)
		<-s.done
	}
	err := s.save()
	if uerr := s.unlock(); uerr != nil {
		err = errors.Join(err, uerr)
	}
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	return nil
}

// eventsState saves the event log's tail: every event its ring holds.
type eventsState struct{ l *eventRing }

type savedEvents struct {
	V      int             `json:"v"`
	Events []timelineEvent `json:"events"`
}

func (e eventsState) MarshalBinary() ([]byte, error) {
	return json.Marshal(savedEvents{V: 1, Events: e.l.Query(eventQuery{})})
}

// UnmarshalBinary puts saved events back in the ring, oldest first,
// without logging them again.
func (e eventsState) UnmarshalBinary(b []byte) error {
	var st savedEvents
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("events: %w", err)
	}
	if st.V != 1 {
		return fmt.Errorf("events: format version %d, this build reads 1", st.V)
	}
	l := e.l
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, ev := range st.Events {
		if len(l.ring) < cap(l.ring) {
			l.ring = append(l.ring, ev)
		} else {
			l.ring[l.next] = ev
		}
		l.next = (l.next + 1) % cap(l.ring)
		l.total++
	}
	return nil
}
