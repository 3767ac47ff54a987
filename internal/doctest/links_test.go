package doctest

import (
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// mdLink matches an inline Markdown link or image target: ](target).
var mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// prose returns the lines of a Markdown text outside code fences, with
// their line numbers; inline code spans are blanked so that a `](x)` shown
// as code is not taken for a link.
func prose(text string) (lines []string, numbers []int) {
	inFence := false
	codeSpan := regexp.MustCompile("`[^`]*`")
	for i, line := range strings.Split(text, "\n") {
		if fence.MatchString(line) {
			inFence = !inFence
			continue
		}
		if inFence {
			continue
		}
		lines = append(lines, codeSpan.ReplaceAllStringFunc(line, func(s string) string { return strings.Repeat(" ", len(s)) }))
		numbers = append(numbers, i+1)
	}
	return lines, numbers
}

// anchors returns the heading anchors of a Markdown text as GitHub computes
// them: lower case, punctuation dropped, spaces as dashes, and -1, -2, … on
// repeats.
func anchors(text string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	inFence := false
	for line := range strings.Lines(text) {
		if fence.MatchString(line) {
			inFence = !inFence
			continue
		}
		if inFence || !strings.HasPrefix(line, "#") {
			continue
		}
		title := strings.TrimSpace(strings.TrimLeft(line, "#"))
		s := slug(title)
		if n := seen[s]; n > 0 {
			out[s+"-"+strconv.Itoa(n)] = true
		} else {
			out[s] = true
		}
		seen[s]++
	}
	return out
}

func slug(title string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(title) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127 && !isPunct(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isPunct covers the non-ASCII punctuation the docs use in headings.
func isPunct(r rune) bool { return strings.ContainsRune("–—…→←“”‘’·×", r) }

// TestRelativeLinksResolve: every relative link of README.md and docs/
// names an existing file or directory, and a #fragment names a heading of
// the target page.
func TestRelativeLinksResolve(t *testing.T) {
	for _, file := range docFiles(t) {
		text := readDoc(t, file)
		lines, numbers := prose(text)
		for i, line := range lines {
			for _, m := range mdLink.FindAllStringSubmatch(line, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				where := file + ":" + strconv.Itoa(numbers[i])
				p, frag, _ := strings.Cut(target, "#")
				dest := file
				if p != "" {
					dest = path.Join(path.Dir(file), p)
					if _, err := os.Stat(filepath.Join(repoRoot, filepath.FromSlash(dest))); err != nil {
						t.Errorf("%s: link %q: %s does not exist", where, target, dest)
						continue
					}
				}
				if frag == "" {
					continue
				}
				if !strings.HasSuffix(dest, ".md") {
					t.Errorf("%s: link %q: a fragment on a file that is not Markdown", where, target)
					continue
				}
				if !anchors(readDoc(t, dest))[frag] {
					t.Errorf("%s: link %q: %s has no heading with anchor #%s", where, target, dest, frag)
				}
			}
		}
	}
}

// TestAnchorsFollowGitHub pins the anchor rule on the headings the docs
// use, so a wrong slug cannot make every link check pass or fail.
func TestAnchorsFollowGitHub(t *testing.T) {
	got := anchors("# Metrics export\n## Names with several addresses (TCP, TLS, HTTP)\n```\n# not a heading\n```\n## Go scheduling latency (`go.schedule.duration`)\n## Alerting\n## Alerting\n## HTTP API (`alerting.NewHandler`, `m.AlertsHandler()`)\n")
	for _, want := range []string{"metrics-export", "names-with-several-addresses-tcp-tls-http", "go-scheduling-latency-goscheduleduration", "alerting", "alerting-1", "http-api-alertingnewhandler-malertshandler"} {
		if !got[want] {
			t.Errorf("anchor %q missing from %v", want, got)
		}
	}
	if got["not-a-heading"] {
		t.Error("a # line inside a code fence was taken for a heading")
	}
}

// TestReadmeIsTheFrontDoor: the README stays a front door (issue "One clear
// API before v1": at most 400 lines); the manual lives under docs/.
func TestReadmeIsTheFrontDoor(t *testing.T) {
	const maxLines = 400
	if n := strings.Count(readDoc(t, "README.md"), "\n"); n > maxLines {
		t.Errorf("README.md has %d lines, more than %d: move the detail to a page under docs/ and link it", n, maxLines)
	}
}
