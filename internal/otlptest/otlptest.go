// Package otlptest is a real OTLP/gRPC metrics receiver for tests: a
// grpc.Server on loopback implementing the collector MetricsService of
// go.opentelemetry.io/proto/otlp. It decodes and records every export, can
// be told to reject exports, and can be stopped and restarted on the same
// address to play a collector that goes away and comes back.
package otlptest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"

	collectorpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	metricpb "go.opentelemetry.io/proto/otlp/metrics/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	_ "google.golang.org/grpc/encoding/gzip" // accept gzip-compressed exports
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Receiver is an OTLP/gRPC metrics receiver listening on 127.0.0.1.
type Receiver struct {
	addr string

	mu       sync.Mutex
	srv      *grpc.Server
	done     chan struct{}
	requests []Request
	failWith codes.Code
	changed  chan struct{} // closed and replaced on every export
}

// Request is one decoded export with the gRPC metadata it carried.
type Request struct {
	Metadata metadata.MD
	Body     *collectorpb.ExportMetricsServiceRequest
}

// Point is one flattened data point of a received export.
type Point struct {
	Resource map[string]string
	Scope    string
	Name     string
	Unit     string
	Attrs    map[string]string
	// Value is the sum or gauge value, or the count for histograms.
	Value float64
	// Sum is the histogram sum; Bounds its explicit bucket boundaries.
	Sum    float64
	Bounds []float64
	// Monotonic and Cumulative describe sums and histograms.
	Monotonic  bool
	Cumulative bool
}

// Start listens on a random loopback port and serves until Stop.
func Start() (*Receiver, error) {
	r := &Receiver{changed: make(chan struct{})}
	if err := r.serve("127.0.0.1:0"); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Receiver) serve(addr string) error {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("otlptest: listen %s: %w", addr, err)
	}
	srv := grpc.NewServer()
	collectorpb.RegisterMetricsServiceServer(srv, &service{r: r})
	done := make(chan struct{})
	r.mu.Lock()
	r.addr, r.srv, r.done = lis.Addr().String(), srv, done
	r.mu.Unlock()
	go func() {
		defer close(done)
		_ = srv.Serve(lis)
	}()
	return nil
}

// Addr is host:port of the receiver; it stays the same across Restart.
func (r *Receiver) Addr() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.addr
}

// Endpoint is the receiver as an insecure OTLP endpoint URL.
func (r *Receiver) Endpoint() string { return "http://" + r.Addr() }

// Stop closes the listener and every connection and waits for the server to
// exit. Stop on a stopped receiver does nothing.
func (r *Receiver) Stop() {
	r.mu.Lock()
	srv, done := r.srv, r.done
	r.srv = nil
	r.mu.Unlock()
	if srv == nil {
		return
	}
	srv.Stop()
	<-done
}

// Restart serves again on the same address after Stop.
func (r *Receiver) Restart() error {
	r.mu.Lock()
	running := r.srv != nil
	r.mu.Unlock()
	if running {
		return errors.New("otlptest: Restart while running")
	}
	return r.serve(r.Addr())
}

// FailWith makes every following export fail with code; codes.OK accepts
// them again.
func (r *Receiver) FailWith(code codes.Code) {
	r.mu.Lock()
	r.failWith = code
	r.mu.Unlock()
}

// Requests returns the exports received so far.
func (r *Receiver) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.requests...)
}

// Reset forgets the exports received so far.
func (r *Receiver) Reset() {
	r.mu.Lock()
	r.requests = nil
	r.mu.Unlock()
}

// Points flattens every data point received so far, oldest first.
func (r *Receiver) Points() []Point {
	var out []Point
	for _, req := range r.Requests() {
		out = append(out, Flatten(req.Body)...)
	}
	return out
}

// Last returns the newest received point named name whose attributes
// include want, and whether there is one.
func (r *Receiver) Last(name string, want map[string]string) (Point, bool) {
	ps := r.Points()
	for i := len(ps) - 1; i >= 0; i-- {
		if ps[i].Name == name && hasAll(ps[i].Attrs, want) {
			return ps[i], true
		}
	}
	return Point{}, false
}

// WaitFor blocks until pred is true for some received point or ctx ends.
func (r *Receiver) WaitFor(ctx context.Context, pred func(Point) bool) (Point, error) {
	for {
		r.mu.Lock()
		ch := r.changed
		r.mu.Unlock()
		ps := r.Points()
		for i := len(ps) - 1; i >= 0; i-- {
			if pred(ps[i]) {
				return ps[i], nil
			}
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return Point{}, fmt.Errorf("otlptest: no matching point among %d: %w", len(ps), ctx.Err())
		}
	}
}

func hasAll(got, want map[string]string) bool {
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

type service struct {
	collectorpb.UnimplementedMetricsServiceServer
	r *Receiver
}

func (s *service) Export(ctx context.Context, req *collectorpb.ExportMetricsServiceRequest) (*collectorpb.ExportMetricsServiceResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	r := s.r
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failWith != codes.OK {
		return nil, status.Error(r.failWith, "otlptest: rejecting export")
	}
	r.requests = append(r.requests, Request{Metadata: md.Copy(), Body: req})
	close(r.changed)
	r.changed = make(chan struct{})
	return &collectorpb.ExportMetricsServiceResponse{}, nil
}

// Flatten turns an export request into points.
func Flatten(req *collectorpb.ExportMetricsServiceRequest) []Point {
	var out []Point
	for _, rm := range req.GetResourceMetrics() {
		res := attrMap(rm.GetResource().GetAttributes())
		for _, sm := range rm.GetScopeMetrics() {
			scope := sm.GetScope().GetName()
			for _, m := range sm.GetMetrics() {
				base := Point{Resource: res, Scope: scope, Name: m.GetName(), Unit: m.GetUnit()}
				switch d := m.GetData().(type) {
				case *metricpb.Metric_Sum:
					for _, dp := range d.Sum.GetDataPoints() {
						p := base
						p.Attrs, p.Value = attrMap(dp.GetAttributes()), number(dp)
						p.Monotonic = d.Sum.GetIsMonotonic()
						p.Cumulative = d.Sum.GetAggregationTemporality() == metricpb.AggregationTemporality_AGGREGATION_TEMPORALITY_CUMULATIVE
						out = append(out, p)
					}
				case *metricpb.Metric_Gauge:
					for _, dp := range d.Gauge.GetDataPoints() {
						p := base
						p.Attrs, p.Value = attrMap(dp.GetAttributes()), number(dp)
						out = append(out, p)
					}
				case *metricpb.Metric_Histogram:
					for _, dp := range d.Histogram.GetDataPoints() {
						p := base
						p.Attrs, p.Value, p.Sum = attrMap(dp.GetAttributes()), float64(dp.GetCount()), dp.GetSum()
						p.Bounds = dp.GetExplicitBounds()
						p.Cumulative = d.Histogram.GetAggregationTemporality() == metricpb.AggregationTemporality_AGGREGATION_TEMPORALITY_CUMULATIVE
						out = append(out, p)
					}
				}
			}
		}
	}
	return out
}

func number(dp *metricpb.NumberDataPoint) float64 {
	switch v := dp.GetValue().(type) {
	case *metricpb.NumberDataPoint_AsInt:
		return float64(v.AsInt)
	case *metricpb.NumberDataPoint_AsDouble:
		return v.AsDouble
	}
	return 0
}

func attrMap(kvs []*commonpb.KeyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		m[kv.GetKey()] = anyString(kv.GetValue())
	}
	return m
}

func anyString(v *commonpb.AnyValue) string {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_IntValue:
		return fmt.Sprint(x.IntValue)
	case *commonpb.AnyValue_DoubleValue:
		return fmt.Sprint(x.DoubleValue)
	case *commonpb.AnyValue_BoolValue:
		return fmt.Sprint(x.BoolValue)
	}
	return v.String()
}
