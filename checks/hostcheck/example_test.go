package hostcheck_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/checks/hostcheck"
)

func ExampleMemory() {
	c, err := hostcheck.Memory(hostcheck.WithHeapLimit(1<<40, 2<<40)) // warn above 1 TiB of heap
	if err != nil {
		log.Fatal(err)
	}
	o := c.Run(context.Background())
	fmt.Println(c.Name(), o.Status, o.Observation.Measurement)
	// Output: memory pass heapBytes
}

func ExampleDiskFree() {
	c, err := hostcheck.DiskFree(os.TempDir(), checks.WithName("tmp-disk"), hostcheck.WithFreeBytes(1, 0))
	if err != nil {
		log.Fatal(err)
	}
	o := c.Run(context.Background())
	fmt.Println(c.Name(), o.Status, o.Observation.Unit)
	// Output: tmp-disk pass By
}
