// Package hostcheck checks the host the service runs on: the process's
// memory ([Memory]) and a filesystem's free space ([DiskFree]), as
// [checks.Check] values for a [checks.Registry].
//
// It lives outside package checks because it reads the process and the
// filesystem through gopsutil, which a program that only registers checks
// and serves /readyz need not link. Its checks take every [checks.Option]
// and [checks.WithName], plus their own options below: [Memory] takes a
// [checks.MemoryOption], [DiskFree] a [checks.DiskOption], so an option of
// one constructor given to another does not compile.
package hostcheck
