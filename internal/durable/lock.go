package durable

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrLocked is wrapped by Lock's error when another process (or another
// Lock in this one) holds the directory.
var ErrLocked = errors.New("directory in use")

// LockFile is the file Lock locks in a directory.
const LockFile = "LOCK"

// Lock takes an exclusive lock on dir (the file LOCK in it), so that two
// writers never interleave snapshots of one directory. The lock ends with
// unlock or with the process. Where the platform has no flock, Lock only
// creates the file.
func Lock(dir string) (unlock func() error, err error) {
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("durable: lock %s: %w", path, err)
	}
	if err := flock(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("durable: lock %s: %w", path, err)
	}
	return f.Close, nil // closing the file releases the lock
}
