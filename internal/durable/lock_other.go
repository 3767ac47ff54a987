//go:build !unix

package durable

import "os"

func flock(*os.File) error { return nil }
