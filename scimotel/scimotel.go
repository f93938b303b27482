// Package scimotel reports a scimkit SCIM handler's requests and store calls
// to OpenTelemetry: metrics (requests by action, status class and client;
// request durations; bulk operations; store call durations; request-log
// queue losses) and spans (one per request, named and annotated after the
// HTTP semantic conventions, with the SCIM action and target; one per store
// call). It is a module of its own so that the core module stays free of
// the OpenTelemetry dependency.
//
//	inst, err := scimotel.New() // the global MeterProvider and TracerProvider
//	h := scim.NewHandler(inst.UserStore(users), inst.GroupStore(groups), scim.WithRequestLog(inst), …)
//	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", inst.Handler(h)))
//
// With the events feature, [Instrumentation.EventObserver] counts the
// provisioning events the handler's writes produce,
// [Instrumentation.WebhookObserver] reports webhook deliveries (attempts by
// outcome, lag from the event, dead letters) and
// [Instrumentation.EventHandler] how far behind an events.Consumer is.
package scimotel

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/provlog"
)

// ScopeName is the instrumentation scope of the meters and tracers.
const ScopeName = "github.com/scimkit/scim/scimotel"

// The attributes the instruments and spans carry beyond the HTTP semantic
// conventions' (http.request.method, http.response.status_code,
// http.route, url.path, url.scheme, user_agent.original, error.type).
const (
	AttrAction      = attribute.Key("scim.action")       // such as "user.create"
	AttrClient      = attribute.Key("scim.client")       // entra-id, okta or other
	AttrStatusClass = attribute.Key("scim.status_class") // 2xx, 4xx, 5xx
	AttrTargetID    = attribute.Key("scim.target.id")
	AttrTargetName  = attribute.Key("scim.target.name")
	AttrTenant      = attribute.Key("scim.tenant")
	AttrConnection  = attribute.Key("scim.connection.id")
	AttrRequestID   = attribute.Key("scim.request.id")
	AttrScimType    = attribute.Key("scim.error.scim_type")
	AttrOperation   = attribute.Key("scim.store.operation") // such as "users.get"
)

// Instrumentation reports to OpenTelemetry. It is a [scim.RequestLogger]:
// install it with [scim.WithRequestLog]. Make one with [New].
type Instrumentation struct {
	tracer     trace.Tracer
	propagator propagation.TextMapPropagator
	tenants    bool

	requests   metric.Int64Counter
	duration   metric.Float64Histogram
	bulkOps    metric.Int64Counter
	storeCalls metric.Float64Histogram
	meter      metric.Meter
	ev         eventInstruments // events.go
}

// Option configures an [Instrumentation].
type Option func(*options)

type options struct {
	mp      metric.MeterProvider
	tp      trace.TracerProvider
	prop    propagation.TextMapPropagator
	tenants bool
}

// WithMeterProvider sets where metrics go. The default is
// otel.GetMeterProvider(); a nil mp keeps it.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(o *options) {
		if mp != nil {
			o.mp = mp
		}
	}
}

// WithTracerProvider sets where spans go. The default is
// otel.GetTracerProvider(); a nil tp keeps it.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(o *options) {
		if tp != nil {
			o.tp = tp
		}
	}
}

// WithPropagator sets how [Instrumentation.Handler] reads a parent span
// from request headers. The default is otel.GetTextMapPropagator(); a nil
// p keeps it.
func WithPropagator(p propagation.TextMapPropagator) Option {
	return func(o *options) {
		if p != nil {
			o.prop = p
		}
	}
}

// WithTenantAttribute adds the tenant (scim.tenant) to the request
// metrics and the event metrics. By default only spans carry it, since a metric attribute with
// one value per customer multiplies the time series.
func WithTenantAttribute() Option {
	return func(o *options) { o.tenants = true }
}

// New returns an Instrumentation with its instruments made.
func New(opts ...Option) (*Instrumentation, error) {
	o := options{mp: otel.GetMeterProvider(), tp: otel.GetTracerProvider(), prop: otel.GetTextMapPropagator()}
	for _, opt := range opts {
		opt(&o)
	}
	m := o.mp.Meter(ScopeName)
	i := &Instrumentation{tracer: o.tp.Tracer(ScopeName), propagator: o.prop, tenants: o.tenants, meter: m}
	var err error
	if i.requests, err = m.Int64Counter("scim.server.requests", metric.WithUnit("{request}"),
		metric.WithDescription("SCIM requests served, by action, status class and client")); err != nil {
		return nil, err
	}
	if i.duration, err = m.Float64Histogram("scim.server.request.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of SCIM requests"),
		metric.WithExplicitBucketBoundaries(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)); err != nil {
		return nil, err
	}
	if i.bulkOps, err = m.Int64Counter("scim.server.bulk.operations", metric.WithUnit("{operation}"),
		metric.WithDescription("Operations of SCIM bulk requests, by action and status class")); err != nil {
		return nil, err
	}
	if i.storeCalls, err = m.Float64Histogram("scim.store.operation.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of the SCIM handler's store calls"),
		metric.WithExplicitBucketBoundaries(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1)); err != nil {
		return nil, err
	}
	if err := i.makeEventInstruments(m); err != nil {
		return nil, err
	}
	return i, nil
}

// Handler returns next with a server span around each request, started
// from the parent the request's headers carry, if any. The span is named
// after the method until the handler logs the request ([Instrumentation.LogRequest]),
// which renames it "{method} {route}" (such as "PATCH /Users/{id}") and
// adds the response's attributes. An application that already has an
// HTTP middleware making server spans (otelhttp, say) needs no Handler:
// LogRequest annotates whatever span the request's context holds.
func (i *Instrumentation) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := i.propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		ctx, span := i.tracer.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(
			attribute.String("http.request.method", r.Method),
			attribute.String("url.path", r.URL.Path),
			attribute.String("url.scheme", scheme),
			attribute.String("user_agent.original", r.UserAgent()),
		))
		defer span.End()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// LogRequest records rec's metrics and annotates the span in ctx. It is
// called by the handler once per request ([scim.RequestLogger]).
func (i *Instrumentation) LogRequest(ctx context.Context, rec *scim.RequestRecord) {
	class := statusClass(rec.Status)
	attrs := []attribute.KeyValue{AttrAction.String(rec.Action), AttrStatusClass.String(class), AttrClient.String(rec.Client)}
	if i.tenants {
		attrs = append(attrs, AttrTenant.String(rec.Tenant))
	}
	set := metric.WithAttributeSet(attribute.NewSet(attrs...))
	i.requests.Add(ctx, 1, set)
	i.duration.Record(ctx, rec.Duration.Seconds(), metric.WithAttributeSet(attribute.NewSet(append(attrs,
		attribute.String("http.request.method", rec.Method), attribute.Int("http.response.status_code", rec.Status))...)))
	for _, op := range rec.Operations {
		i.bulkOps.Add(ctx, 1, metric.WithAttributeSet(attribute.NewSet(
			AttrAction.String(op.Action), AttrStatusClass.String(statusClass(op.Status)), AttrClient.String(rec.Client))))
	}

	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	route := Route(rec.Path)
	span.SetName(rec.Method + " " + route)
	span.SetAttributes(
		attribute.String("http.route", route),
		attribute.Int("http.response.status_code", rec.Status),
		AttrAction.String(rec.Action),
		AttrClient.String(rec.Client),
		AttrRequestID.String(rec.RequestID),
	)
	if rec.TargetID != "" {
		span.SetAttributes(AttrTargetID.String(rec.TargetID))
	}
	if rec.TargetName != "" {
		span.SetAttributes(AttrTargetName.String(rec.TargetName))
	}
	if rec.Tenant != "" {
		span.SetAttributes(AttrTenant.String(rec.Tenant))
	}
	if rec.ConnectionID != "" {
		span.SetAttributes(AttrConnection.String(rec.ConnectionID))
	}
	if rec.ScimType != "" {
		span.SetAttributes(AttrScimType.String(rec.ScimType))
	}
	// Server spans: only 5xx are errors (a 4xx is the client's).
	if rec.Status >= 500 {
		span.SetAttributes(attribute.String("error.type", strconv.Itoa(rec.Status)))
		span.SetStatus(codes.Error, "")
	}
}

// ObserveQueue reports q's losses and writes as the counters
// scim.request_log.records with the attribute scim.request_log.outcome
// (written, dropped or failed).
func (i *Instrumentation) ObserveQueue(q *provlog.Queue) error {
	c, err := i.meter.Int64ObservableCounter("scim.request_log.records", metric.WithUnit("{record}"),
		metric.WithDescription("Request records the provisioning log queue wrote, dropped (queue full) or failed to write"))
	if err != nil {
		return err
	}
	key := attribute.Key("scim.request_log.outcome")
	written := metric.WithAttributeSet(attribute.NewSet(key.String("written")))
	dropped := metric.WithAttributeSet(attribute.NewSet(key.String("dropped")))
	failed := metric.WithAttributeSet(attribute.NewSet(key.String("failed")))
	_, err = i.meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		o.ObserveInt64(c, int64(q.Written()), written)
		o.ObserveInt64(c, int64(q.Dropped()), dropped)
		o.ObserveInt64(c, int64(q.Failed()), failed)
		return nil
	}, c)
	return err
}

// Route returns the route template of a SCIM path, as http.route wants:
// the resource id replaced by {id}, such as "/Users/{id}".
func Route(path string) string {
	p := strings.Trim(path, "/")
	first, rest, _ := strings.Cut(p, "/")
	switch {
	case p == "":
		return "/"
	case rest == "" || rest == ".search":
		return "/" + p
	case first == "Users" || first == "Groups" || first == "Schemas" || first == "ResourceTypes":
		return "/" + first + "/{id}"
	}
	return "/" + first + "/{path}"
}

func statusClass(status int) string {
	switch {
	case status >= 100 && status < 600:
		return strconv.Itoa(status/100) + "xx"
	}
	return "other"
}
