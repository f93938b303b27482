package scimotel_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/events"
	"github.com/scimkit/scim/scimotel"
	"github.com/scimkit/scim/store/memstore"
	"github.com/scimkit/scim/webhook"
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

// Report the events feature: the events the handler's writes produce,
// a consumer's lag, and the webhook deliveries it makes.
func ExampleInstrumentation_EventObserver() {
	reader := sdkmetric.NewManualReader()
	inst, err := scimotel.New(scimotel.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))))
	if err != nil {
		panic(err)
	}
	users, groups := memstore.New() // records events
	h := scim.NewHandler(inst.UserStore(users), inst.GroupStore(groups), scim.WithoutAuthentication(), inst.EventObserver())
	for _, name := range []string{"ada", "grace"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/Users", strings.NewReader(
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+name+`"}`)))
	}

	// The webhook endpoint: it refuses the first attempt.
	var refused atomic.Bool
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if refused.CompareAndSwap(false, true) {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer endpoint.Close()
	sender, err := webhook.NewSender(endpoint.URL, webhook.NewSecret(),
		webhook.WithRetries(3, time.Millisecond, time.Millisecond), inst.WebhookObserver())
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	delivered := make(chan struct{}, 2)
	deliver := func(ctx context.Context, e scim.Event) error {
		err := sender.Deliver(ctx, e)
		delivered <- struct{}{}
		return err
	}
	consumer := events.NewConsumer(users, users, "webhook", inst.EventHandler("webhook", deliver))
	go func() { _ = consumer.Run(ctx) }()
	<-delivered
	<-delivered
	cancel()

	var rm metricdata.ResourceMetrics
	_ = reader.Collect(context.Background(), &rm)
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if !strings.HasPrefix(m.Name, "scim.events") && !strings.HasPrefix(m.Name, "scim.webhook") {
			continue
		}
		switch data := m.Data.(type) {
		case metricdata.Sum[int64]:
			for _, dp := range data.DataPoints {
				if dp.Attributes.Len() > 0 {
					fmt.Println(m.Name, dp.Attributes.Encoded(attribute.DefaultEncoder()), dp.Value)
				} else {
					fmt.Println(m.Name, dp.Value)
				}
			}
		case metricdata.Histogram[float64]:
			for _, dp := range data.DataPoints {
				fmt.Println(m.Name, "count", dp.Count)
			}
		}
	}
	// Unordered output:
	// scim.events scim.event.type=user.created,scim.resource_type=User 2
	// scim.webhook.delivery.attempts scim.webhook.outcome=retry 1
	// scim.webhook.delivery.attempts scim.webhook.outcome=delivered 2
	// scim.webhook.delivery.lag count 2
	// scim.events.consumer.lag count 2
	// scim.events.consumer.events scim.events.consumer=webhook,scim.events.consumer.outcome=handled 2
}
