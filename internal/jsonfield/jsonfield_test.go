package jsonfield

import (
	"errors"
	"testing"
)

func TestLookup(t *testing.T) {
	body := []byte(`{"status":"ok","n":1.50,"up":true,"none":null,"items":[{"id":"a"},{"id":"b"}],"obj":{"k":1}}`)
	tests := []struct {
		path, want string
		notFound   bool
	}{
		{"status", "ok", false}, {"n", "1.50", false}, {"up", "true", false}, {"none", "null", false},
		{"items.1.id", "b", false}, {"obj", `{"k":1}`, false},
		{"missing", "", true}, {"items.-1", "", true}, {"items.9", "", true}, {"items.x", "", true}, {"status.deeper", "", true},
	}
	for _, tt := range tests {
		got, err := Lookup(body, Split(tt.path))
		if tt.notFound {
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("%s: err %v, want ErrNotFound", tt.path, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s = %q, %v; want %q", tt.path, got, err, tt.want)
		}
	}
	if got, err := Lookup([]byte(`[{"a":"y"}]`), Split("0.a")); got != "y" || err != nil {
		t.Errorf("top-level array: %q %v", got, err)
	}
	if got, _ := Lookup([]byte(`{"a":1e3}`), Split("a")); got != "1e3" {
		t.Errorf("number literal kept as written: %q", got)
	}
	if _, err := Lookup([]byte("not json"), []string{"a"}); err == nil {
		t.Error("non-JSON body accepted")
	}
}

func FuzzLookup(f *testing.F) {
	f.Add([]byte(`{"a":[1,{"b":"c"}]}`), "a.1.b")
	f.Fuzz(func(t *testing.T, body []byte, path string) {
		_, _ = Lookup(body, Split(path)) // must not panic
	})
}
