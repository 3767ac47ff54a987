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
	reg, _ := checks.NewRegistry()
	defer reg.Shutdown(context.Background())
	_ = reg.Add(c)
	res := reg.Evaluate(context.Background(), checks.Readiness).Results[0] // runs c, which never ran
	fmt.Println(res.Name, res.Status, res.Observation.Measurement)
	// Output: memory pass heapBytes
}

func ExampleDiskFree() {
	c, err := hostcheck.DiskFree(os.TempDir(), checks.WithName("tmp-disk"), hostcheck.WithFreeBytes(1, 0))
	if err != nil {
		log.Fatal(err)
	}
	reg, _ := checks.NewRegistry()
	defer reg.Shutdown(context.Background())
	_ = reg.Add(c)
	res := reg.Evaluate(context.Background(), checks.Readiness).Results[0] // runs c, which never ran
	fmt.Println(res.Name, res.Status, res.Observation.Unit)
	// Output: tmp-disk pass By
}
