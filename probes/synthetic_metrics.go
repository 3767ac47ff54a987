package probes

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/jackcode/igmon/internal/igsemconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// probeBuckets suit network probes: a loopback millisecond to a 10s
// timeout (the semconv HTTP duration buckets).
var probeBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

var phaseNames = [...]string{"dns", "connect", "tls", "processing", "transfer"}

// dnsErrorTypes are the bounded error.type values of dns.lookup.duration.
var dnsErrorTypes = [...]string{"", "host_not_found", "timeout", "_OTHER"}

// probeInstruments are the instruments and the attribute sets of one probe,
// all built at construction so that recording a run allocates nothing of
// its own.
type probeInstruments struct {
	success   metric.Int64Gauge
	duration  metric.Float64Histogram
	phase     metric.Float64Histogram
	expiry    metric.Float64Gauge
	dnsLookup metric.Float64Histogram

	base     []metric.RecordOption
	byReason map[failureReason][]metric.RecordOption
	byPhase  [len(phaseNames)][]metric.RecordOption
	dnsByErr [len(dnsErrorTypes)][]metric.RecordOption
}

func newProbeInstruments(m metric.Meter, p *Probe) (*probeInstruments, error) {
	in := &probeInstruments{byReason: make(map[failureReason][]metric.RecordOption, len(recordedReasons))}
	var errs []error
	var err error
	in.success, err = m.Int64Gauge(igsemconv.MetricProbeSuccess, metric.WithUnit("1"),
		metric.WithDescription("1 if the last run of the probe succeeded, 0 if it failed."))
	errs = append(errs, err)
	in.duration, err = m.Float64Histogram(igsemconv.MetricProbeDuration, metric.WithUnit("s"),
		metric.WithDescription("Total duration of probe runs, with the failure reason of failed runs."),
		metric.WithExplicitBucketBoundaries(probeBuckets...))
	errs = append(errs, err)
	in.phase, err = m.Float64Histogram(igsemconv.MetricProbePhaseDuration, metric.WithUnit("s"),
		metric.WithDescription("Duration of each phase (dns, connect, tls, processing, transfer) of probe runs."),
		metric.WithExplicitBucketBoundaries(probeBuckets...))
	errs = append(errs, err)
	in.expiry, err = m.Float64Gauge(igsemconv.MetricProbeCertExpiry, metric.WithUnit("s"),
		metric.WithDescription("Seconds until the earliest peer certificate expires, as seen by the last run (negative once expired)."))
	errs = append(errs, err)
	in.dnsLookup, err = m.Float64Histogram(igsemconv.MetricDNSLookupDuration, metric.WithUnit("s"),
		metric.WithDescription("Measures the time taken to perform a DNS lookup."),
		metric.WithExplicitBucketBoundaries(probeBuckets...))
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	name := attribute.String(igsemconv.AttrProbeName, p.name)
	kind := attribute.String(igsemconv.AttrProbeKind, string(p.kind))
	one := func(kv ...attribute.KeyValue) []metric.RecordOption {
		return []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(kv...))}
	}
	in.base = one(name, kind)
	for _, r := range recordedReasons {
		if r == reasonNone {
			in.byReason[r] = in.base
			continue
		}
		in.byReason[r] = one(name, kind, attribute.String(igsemconv.AttrFailureReason, string(r)))
	}
	for i, ph := range phaseNames {
		in.byPhase[i] = one(name, kind, attribute.String(igsemconv.AttrProbePhase, ph))
	}
	return in, nil
}

// setDNSQuestion builds the dns.lookup.duration attribute sets for host, a
// configured (so bounded) name.
func (in *probeInstruments) setDNSQuestion(host string) {
	q := attribute.String("dns.question.name", host)
	for i, et := range dnsErrorTypes {
		kv := []attribute.KeyValue{q}
		if et != "" {
			kv = append(kv, attribute.String("error.type", et))
		}
		in.dnsByErr[i] = []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(kv...))}
	}
}

// recordLookup records one DNS lookup of the probe's configured name.
func (in *probeInstruments) recordLookup(ctx context.Context, d time.Duration, err error) {
	i := 0
	if err != nil {
		var de *net.DNSError
		switch {
		case errors.As(err, &de) && de.IsNotFound:
			i = 1
		case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &de) && de.IsTimeout):
			i = 2
		default:
			i = 3
		}
	}
	if in.dnsByErr[i] == nil {
		return // no configured name (an IP address): nothing was looked up
	}
	in.dnsLookup.Record(ctx, d.Seconds(), in.dnsByErr[i]...)
}

func (in *probeInstruments) record(ctx context.Context, p *Probe, r *Result) {
	// Record even if ctx is cancelled just after the run: the run finished.
	ctx = context.WithoutCancel(ctx)
	ok := int64(0)
	if r.Success {
		ok = 1
	}
	in.success.Record(ctx, ok, in.base...)
	in.duration.Record(ctx, r.Duration.Seconds(), in.byReason[r.Reason]...)
	ph := [len(phaseNames)]time.Duration{r.Phases.DNS, r.Phases.Connect, r.Phases.TLS, r.Phases.Processing, r.Phases.Transfer}
	for i, d := range ph {
		if d > 0 {
			in.phase.Record(ctx, d.Seconds(), in.byPhase[i]...)
		}
	}
	if !r.CertExpiry.IsZero() {
		in.expiry.Record(ctx, time.Until(r.CertExpiry).Seconds(), in.base...)
	}
}
