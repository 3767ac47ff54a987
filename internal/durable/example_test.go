package durable_test

import (
	"fmt"
	"os"

	"github.com/jackcode/igmon/internal/durable"
)

func Example() {
	dir, _ := os.MkdirTemp("", "igmon-state")
	defer os.RemoveAll(dir)
	_ = durable.Write(dir, "silences", "silences", []byte("first"))
	_ = durable.Write(dir, "silences", "silences", []byte("second"))
	payload, _, err := durable.Load(dir, "silences", "silences")
	fmt.Println(string(payload), err)
	// Output: second <nil>
}
