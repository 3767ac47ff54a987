// Package doctest holds the tests that keep README.md and the pages under
// docs/ true to the code. It has no API; its tests are the point:
//
//   - TestGoSnippetsCompile extracts every ```go block and compiles it with
//     the real packages (go build with an overlay, so nothing is written
//     into the repository).
//   - TestRelativeLinksResolve checks that every relative link names a file
//     or directory that exists and, for a Markdown target, a heading anchor
//     that exists in it.
//   - TestIdentifiersExist checks that every `pkg.Name` (and `pkg.Type.Member`)
//     written in backticks for an igmon package names a declaration of that
//     package, parsed with go/parser from the repository's own files;
//     TestUnqualifiedNamesExist does the same for `WithX`, `NewX`, `ErrX`,
//     `Type.Member` and `m.Method` (m is a *monitor.Monitor in the docs).
//   - TestYAMLSnippetsParse checks that every ```yaml block is YAML and that a
//     rule file among them loads with rulefile.Load.
//   - TestReadmeIsTheFrontDoor keeps README.md at most 400 lines.
//
// # The snippet convention
//
// A block whose first line of code is a package clause is a complete file
// and is compiled as it is. Any other block is a fragment:
//
//   - if it parses as a list of top-level declarations (types, functions,
//     variables), it is compiled as a file of its own package;
//   - otherwise it is the body of a function that returns an error, so a
//     fragment may `return err`.
//
// Imports are added for the package names a fragment uses (checks, monitor,
// http, time, …; see knownImports). The names a fragment takes for granted
// (ctx, db, m, mux, check, launch, …) are package-level variables and
// functions of a prelude compiled with it (see prelude). "declared and not
// used" is not an error in a fragment: a fragment shows a call, and what is
// done with its result is the reader's business. Every other compile error
// is reported at the Markdown file and line of the snippet.
//
// Third-party SDKs a snippet talks to (a game provider's sdk, go-redis, an
// adyen client) are small fake packages defined here, so the snippet keeps
// the shape a reader would write.
package doctest
