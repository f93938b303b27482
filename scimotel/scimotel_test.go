package scimotel_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/provlog"
	"github.com/scimkit/scim/scimotel"
	"github.com/scimkit/scim/store/memstore"
)

type fixture struct {
	spans  *tracetest.InMemoryExporter
	reader *sdkmetric.ManualReader
	h      http.Handler
	inst   *scimotel.Instrumentation
	users  *memstore.UserStore
	groups *memstore.GroupStore
}

func newFixture(t *testing.T, opts ...scimotel.Option) *fixture {
	t.Helper()
	return newEventFixture(t, nil, true, opts...)
}

// newEventFixture is newFixture with the handler options handlerOpts
// returns, over a memstore that records events or not.
func newEventFixture(t *testing.T, handlerOpts func(f *fixture) []scim.Option, recording bool, opts ...scimotel.Option) *fixture {
	t.Helper()
	f := &fixture{spans: tracetest.NewInMemoryExporter(), reader: sdkmetric.NewManualReader()}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(f.spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(f.reader))
	var err error
	f.inst, err = scimotel.New(append([]scimotel.Option{scimotel.WithTracerProvider(tp), scimotel.WithMeterProvider(mp)}, opts...)...)
	require.NoError(t, err)
	if recording {
		f.users, f.groups = memstore.New()
	} else {
		f.users, f.groups = memstore.New(memstore.WithEventRetention(0))
	}
	hopts := []scim.Option{scim.WithBearerToken("otel-token"), scim.WithRequestLog(f.inst)}
	if handlerOpts != nil {
		hopts = append(hopts, handlerOpts(f)...)
	}
	h := scim.NewHandler(f.inst.UserStore(f.users), f.inst.GroupStore(f.groups), hopts...)
	f.h = f.inst.Handler(h)
	return f
}

// create posts body to path and returns the id of the resource created.
func (f *fixture) create(t *testing.T, path, body string) string {
	t.Helper()
	w := f.do(t, "POST", path, body)
	require.Equal(t, 201, w.Code, "%s", w.Body)
	loc := w.Header().Get("Location")
	return loc[strings.LastIndex(loc, "/")+1:]
}

func (f *fixture) do(t *testing.T, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	var req *http.Request
	if body == "" {
		req = httptest.NewRequest(method, path, nil)
	} else {
		req = httptest.NewRequest(method, path, strings.NewReader(body))
	}
	req.Header.Set("Authorization", "Bearer otel-token")
	req.Header.Set("User-Agent", "Okta SCIM Client 1.0.0")
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, req)
	return w
}

func (f *fixture) metrics(t *testing.T) map[string]metricdata.Aggregation {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, f.reader.Collect(context.Background(), &rm))
	out := map[string]metricdata.Aggregation{}
	for _, sm := range rm.ScopeMetrics {
		assert.Equal(t, scimotel.ScopeName, sm.Scope.Name)
		for _, m := range sm.Metrics {
			out[m.Name] = m.Data
		}
	}
	return out
}

func attrs(s attribute.Set) map[string]string {
	m := map[string]string{}
	for _, kv := range s.ToSlice() {
		m[string(kv.Key)] = kv.Value.Emit()
	}
	return m
}

func TestRequestMetricsAndSpans(t *testing.T) {
	f := newFixture(t)
	user := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ann"}`
	w := f.do(t, "POST", "/Users", user)
	require.Equal(t, 201, w.Code)
	require.Equal(t, 409, f.do(t, "POST", "/Users", user).Code)
	require.Equal(t, 404, f.do(t, "GET", "/Users/missing", "").Code)

	m := f.metrics(t)
	counts := map[string]int64{}
	for _, dp := range m["scim.server.requests"].(metricdata.Sum[int64]).DataPoints {
		a := attrs(dp.Attributes)
		assert.Equal(t, "okta", a["scim.client"])
		counts[a["scim.action"]+" "+a["scim.status_class"]] += dp.Value
	}
	assert.Equal(t, map[string]int64{"user.create 2xx": 1, "user.create 4xx": 1, "user.get 4xx": 1}, counts)
	hist := m["scim.server.request.duration"].(metricdata.Histogram[float64])
	var n uint64
	for _, dp := range hist.DataPoints {
		n += dp.Count
		assert.Contains(t, []string{"201", "409", "404"}, attrs(dp.Attributes)["http.response.status_code"])
	}
	assert.Equal(t, uint64(3), n)
	stores := map[string]uint64{}
	for _, dp := range m["scim.store.operation.duration"].(metricdata.Histogram[float64]).DataPoints {
		a := attrs(dp.Attributes)
		stores[a["scim.store.operation"]+" "+a["error.type"]] += dp.Count
	}
	assert.Equal(t, uint64(2), stores["users.create "]+stores["users.create conflict"])
	assert.Equal(t, uint64(1), stores["users.create conflict"])
	assert.Positive(t, stores["users.lend not_found"]+stores["users.get not_found"], "%v", stores)

	var server []tracetest.SpanStub
	for _, s := range f.spans.GetSpans() {
		if s.SpanKind == trace.SpanKindServer {
			server = append(server, s)
		}
	}
	require.Len(t, server, 3)
	s := server[0]
	assert.Equal(t, "POST /Users", s.Name)
	a := map[string]string{}
	for _, kv := range s.Attributes {
		a[string(kv.Key)] = kv.Value.Emit()
	}
	assert.Equal(t, "POST", a["http.request.method"])
	assert.Equal(t, "201", a["http.response.status_code"])
	assert.Equal(t, "/Users", a["http.route"])
	assert.Equal(t, "/Users", a["url.path"])
	assert.Equal(t, "user.create", a["scim.action"])
	assert.Equal(t, "ann", a["scim.target.name"])
	assert.NotEmpty(t, a["scim.target.id"])
	assert.Equal(t, "GET /Users/{id}", server[2].Name)
	assert.Equal(t, "Unset", server[2].Status.Code.String(), "a 4xx is not a server error")

	// Store spans are children of the request's span.
	var child bool
	for _, st := range f.spans.GetSpans() {
		if st.Name == "scim.store users.create" && st.Parent.SpanID() == s.SpanContext.SpanID() {
			child = true
		}
	}
	assert.True(t, child, "the store call's span is a child of the request's")
}

func TestBulkOperationsCounted(t *testing.T) {
	f := newFixture(t)
	w := f.do(t, "POST", "/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[
		{"method":"POST","path":"/Users","bulkId":"a","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"x"}},
		{"method":"POST","path":"/Users","bulkId":"b","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"x"}}]}`)
	require.Equal(t, 200, w.Code)
	got := map[string]int64{}
	for _, dp := range f.metrics(t)["scim.server.bulk.operations"].(metricdata.Sum[int64]).DataPoints {
		a := attrs(dp.Attributes)
		got[a["scim.action"]+" "+a["scim.status_class"]] += dp.Value
	}
	assert.Equal(t, map[string]int64{"user.create 2xx": 1, "user.create 4xx": 1}, got)
}

func TestObserveQueue(t *testing.T) {
	f := newFixture(t)
	q := provlog.NewQueue(memstore.NewRequestLog(10))
	require.NoError(t, f.inst.ObserveQueue(q))
	q.LogRequest(context.Background(), &scim.RequestRecord{})
	require.NoError(t, q.Close(context.Background()))
	q.LogRequest(context.Background(), &scim.RequestRecord{})
	got := map[string]int64{}
	for _, dp := range f.metrics(t)["scim.request_log.records"].(metricdata.Sum[int64]).DataPoints {
		got[attrs(dp.Attributes)["scim.request_log.outcome"]] = dp.Value
	}
	assert.Equal(t, map[string]int64{"written": 1, "dropped": 1, "failed": 0}, got)
}

func TestRoute(t *testing.T) {
	for path, want := range map[string]string{
		"/": "/", "": "/", "/Users": "/Users", "/Users/": "/Users", "/Users/abc": "/Users/{id}",
		"/Groups/.search": "/Groups/.search", "/Schemas/urn:x": "/Schemas/{id}", "/Bulk": "/Bulk",
		"/ServiceProviderConfig": "/ServiceProviderConfig", "/Users/a/b": "/Users/{id}", "/x/y": "/x/{path}",
	} {
		assert.Equal(t, want, scimotel.Route(path), path)
	}
}
