// Package ext opens package checks' built-in check machinery to igmon's own
// check subpackages (grpccheck, grpchealth, hostcheck) without exporting it
// from checks. Those subpackages link gRPC, protobuf or gopsutil, which a
// program that only registers checks must not pay for, so they live outside
// checks; this package is how they still build checks exactly like the
// built-ins (default names, shared options, option errors naming the
// constructor).
//
// Package checks fills in the hooks in its init. ext cannot import checks
// (checks imports ext), so values of checks' types travel as any; the
// generic helpers below give the subpackages typed calls. Every importer of
// ext also imports checks, so the hooks are set before any use.
package ext
