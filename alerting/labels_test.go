package alerting

import "testing"

func TestLabelsStringEscapesValues(t *testing.T) {
	l := Labels{"alertname": "X", "db": `wal"let`, "path": `C:\tmp`, "msg": "a\nb}", "team name": "ops"}
	got := l.String()
	want := `{alertname="X", db="wal\"let", msg="a\nb}", path="C:\\tmp", "team name"="ops"}`
	if got != want {
		t.Fatalf("String() = %s\nwant        %s", got, want)
	}
	// The rendering parses back to the same labels: no value can close
	// the braces or forge another label.
	ms, err := ParseMatchers(got)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != len(l) || !ms.Matches(l) {
		t.Fatalf("round trip %v does not match %v", ms, l)
	}
}
