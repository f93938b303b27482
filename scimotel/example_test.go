package scimotel_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/scimotel"
	"github.com/scimkit/scim/store/memstore"
)

// Instrument a handler: its stores, its requests (as a RequestLogger) and
// a span per request (Handler). Here metrics go to a manual reader.
func ExampleNew() {
	reader := sdkmetric.NewManualReader()
	inst, err := scimotel.New(scimotel.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))))
	if err != nil {
		panic(err)
	}
	users, groups := memstore.New()
	h := scim.NewHandler(inst.UserStore(users), inst.GroupStore(groups), scim.WithoutAuthentication(), scim.WithRequestLog(inst))
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", inst.Handler(h)))

	req := httptest.NewRequest("GET", "/scim/v2/Users/missing", nil)
	req.Header.Set("User-Agent", "Okta SCIM Client 1.0.0")
	mux.ServeHTTP(httptest.NewRecorder(), req)

	var rm metricdata.ResourceMetrics
	_ = reader.Collect(context.Background(), &rm)
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if m.Name == "scim.server.requests" {
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				action, _ := dp.Attributes.Value(scimotel.AttrAction)
				class, _ := dp.Attributes.Value(scimotel.AttrStatusClass)
				client, _ := dp.Attributes.Value(scimotel.AttrClient)
				fmt.Println(action.AsString(), class.AsString(), client.AsString(), dp.Value)
			}
		}
	}
	// Output:
	// user.get 4xx okta 1
}
