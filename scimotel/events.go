package scimotel

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/events"
	"github.com/scimkit/scim/webhook"
)

// Provisioning events (the events feature): what the handler's writes
// produced, how the webhook deliveries of them go, and how far behind an
// events.Consumer is. Each is opt-in, an option or a wrapper to install
// where the events flow:
//
//	h := scim.NewHandler(inst.UserStore(users), inst.GroupStore(groups), inst.EventObserver(), …)
//	s, err := webhook.NewSender(url, secret, inst.WebhookObserver())
//	c := events.NewConsumer(users, users, "revoke-sessions", inst.EventHandler("revoke-sessions", revoke))

// The attributes of the event instruments.
const (
	AttrEventType       = attribute.Key("scim.event.type")      // such as "user.deactivated"
	AttrResourceType    = attribute.Key("scim.resource_type")   // User or Group
	AttrWebhookOutcome  = attribute.Key("scim.webhook.outcome") // delivered, retry, dead_lettered or cancelled
	AttrConsumer        = attribute.Key("scim.events.consumer") // the consumer's name
	AttrConsumerOutcome = attribute.Key("scim.events.consumer.outcome")
)

// lagBuckets are the boundaries, in seconds, of the lag histograms: from
// 10ms (an event delivered as it commits) to a day (an endpoint down).
var lagBuckets = []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400}

// eventInstruments are the instruments of the events feature, made in New.
type eventInstruments struct {
	events       metric.Int64Counter
	attempts     metric.Int64Counter
	lag          metric.Float64Histogram
	deadLetters  metric.Int64Counter
	consumerLag  metric.Float64Histogram
	consumerDone metric.Int64Counter
}

func (i *Instrumentation) makeEventInstruments(m metric.Meter) error {
	var err error
	ev := &i.ev
	if ev.events, err = m.Int64Counter("scim.events", metric.WithUnit("{event}"),
		metric.WithDescription("Provisioning events the handler's writes produced, by event type and resource type")); err != nil {
		return err
	}
	if ev.attempts, err = m.Int64Counter("scim.webhook.delivery.attempts", metric.WithUnit("{attempt}"),
		metric.WithDescription("Webhook delivery attempts, by outcome (delivered, retry, dead_lettered, cancelled)")); err != nil {
		return err
	}
	if ev.lag, err = m.Float64Histogram("scim.webhook.delivery.lag", metric.WithUnit("s"),
		metric.WithDescription("Time from a provisioning event to its delivery to the webhook endpoint"),
		metric.WithExplicitBucketBoundaries(lagBuckets...)); err != nil {
		return err
	}
	if ev.deadLetters, err = m.Int64Counter("scim.webhook.dead_letters", metric.WithUnit("{event}"),
		metric.WithDescription("Events whose webhook delivery was given up after the last attempt")); err != nil {
		return err
	}
	if ev.consumerLag, err = m.Float64Histogram("scim.events.consumer.lag", metric.WithUnit("s"),
		metric.WithDescription("Time from a provisioning event to a consumer's handling of it, by consumer"),
		metric.WithExplicitBucketBoundaries(lagBuckets...)); err != nil {
		return err
	}
	if ev.consumerDone, err = m.Int64Counter("scim.events.consumer.events", metric.WithUnit("{event}"),
		metric.WithDescription("Events a consumer's handler was called with, by consumer and outcome (handled, failed: retried)")); err != nil {
		return err
	}
	return nil
}

// with returns attrs, with the tenant when [WithTenantAttribute] asks.
func (i *Instrumentation) with(tenant string, attrs ...attribute.KeyValue) metric.MeasurementOption {
	if i.tenants {
		attrs = append(attrs, AttrTenant.String(tenant))
	}
	return metric.WithAttributeSet(attribute.NewSet(attrs...))
}

// EventObserver returns the handler option ([scim.WithEventObserver])
// that counts the events of its writes as scim.events, by
// scim.event.type and scim.resource_type: with a store that records
// events, those recorded; with any other, those the handler builds for
// the option (which it then builds for every write).
func (i *Instrumentation) EventObserver() scim.Option {
	return scim.WithEventObserver(func(ctx context.Context, evs []scim.Event) {
		for _, e := range evs {
			i.ev.events.Add(ctx, 1, i.with(e.Tenant, AttrEventType.String(string(e.Type)), AttrResourceType.String(e.ResourceType)))
		}
	})
}

// WebhookObserver returns the [webhook.Sender] option ([webhook.WithObserver])
// that reports its deliveries: scim.webhook.delivery.attempts by
// scim.webhook.outcome; scim.webhook.delivery.lag, the time from each
// delivered event (its Time) to its delivery; and scim.webhook.dead_letters,
// the events given up.
func (i *Instrumentation) WebhookObserver() webhook.Option {
	return webhook.WithObserver(func(ctx context.Context, d webhook.Delivery) {
		i.ev.attempts.Add(ctx, 1, i.with(d.Tenant, AttrWebhookOutcome.String(string(d.Outcome))))
		switch d.Outcome {
		case webhook.OutcomeDelivered:
			if d.Lag > 0 {
				i.ev.lag.Record(ctx, d.Lag.Seconds(), i.with(d.Tenant))
			}
		case webhook.OutcomeDeadLettered:
			i.ev.deadLetters.Add(ctx, 1, i.with(d.Tenant))
		}
	})
}

// EventHandler returns h, reporting, for the consumer named consumer,
// scim.events.consumer.lag, the time from each event (its Time) to the
// consumer's call of h with it, and scim.events.consumer.events, the
// calls by outcome (handled, or failed: the consumer retries the event).
// The lag of a consumer that keeps up is how soon it learns of a change;
// one that grows means the consumer falls behind or its handler keeps
// failing. Pass the result to [events.NewConsumer].
func (i *Instrumentation) EventHandler(consumer string, h events.Handler) events.Handler {
	name := AttrConsumer.String(consumer)
	handled, failed := AttrConsumerOutcome.String("handled"), AttrConsumerOutcome.String("failed")
	return func(ctx context.Context, e scim.Event) error {
		if !e.Time.IsZero() {
			i.ev.consumerLag.Record(ctx, time.Since(e.Time).Seconds(), i.with(e.Tenant, name))
		}
		err := h(ctx, e)
		outcome := handled
		if err != nil {
			outcome = failed
		}
		i.ev.consumerDone.Add(ctx, 1, i.with(e.Tenant, name, outcome))
		return err
	}
}
