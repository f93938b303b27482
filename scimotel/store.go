package scimotel

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/scimkit/scim"
)

// Store wrappers: each call is timed (scim.store.operation.duration) and
// traced (a client span "scim.store users.get" under the request's). A
// wrapper has the optional capabilities of the store it wraps, and only
// those, so that the handler (and an events.Consumer) serves the wrapped
// store as it would the store itself: [scim.UserLender],
// [scim.MemberPatcher] and [scim.MemberPreservingReplacer], timed and
// traced like the other calls; [scim.AttributeKeeper], [scim.EventLog],
// [scim.EventNotifier] and [events.CursorStore], passed on as they are
// (they are not calls the handler makes per request); and [scim.EventRecorder] and
// [scim.GroupDisplayNameEnforcer], which a wrapper always has, reporting
// what the wrapped store reports (false when it lacks them). A store that
// records events thus records them through its wrapper, in the write's
// transaction, as it does without it.
//
// Each combination of capabilities needs a type of its own: caps_gen.go
// has them, written by internal/gencaps.

//go:generate go run ./internal/gencaps/cmd

// UserStore returns s, timed and traced, with s's optional capabilities.
func (i *Instrumentation) UserStore(s scim.UserStore) scim.UserStore {
	return withUserCaps(&users{s: s, i: i})
}

// GroupStore returns s, timed and traced, with s's optional capabilities.
func (i *Instrumentation) GroupStore(s scim.GroupStore) scim.GroupStore {
	return withGroupCaps(&groups{s: s, i: i})
}

// call times and traces one store call.
func (i *Instrumentation) call(ctx context.Context, op string) (context.Context, func(error)) {
	start := time.Now()
	ctx, span := i.tracer.Start(ctx, "scim.store "+op, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(AttrOperation.String(op)))
	return ctx, func(err error) {
		attrs := []attribute.KeyValue{AttrOperation.String(op)}
		if err != nil {
			t := errorType(err)
			attrs = append(attrs, attribute.String("error.type", t))
			span.SetAttributes(attribute.String("error.type", t))
			if t == "internal" {
				span.SetStatus(codes.Error, "")
			}
		}
		i.storeCalls.Record(ctx, time.Since(start).Seconds(), metric.WithAttributeSet(attribute.NewSet(attrs...)))
		span.End()
	}
}

// errorType names a store error without its text, which may hold data.
func errorType(err error) string {
	var se *scim.Error
	switch {
	case errors.Is(err, scim.ErrNotFound):
		return "not_found"
	case errors.Is(err, scim.ErrConflict):
		return "conflict"
	case errors.Is(err, scim.ErrPreconditionFailed):
		return "precondition_failed"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "cancelled"
	case errors.As(err, &se):
		return "scim_error"
	}
	return "internal"
}

type users struct {
	s scim.UserStore
	i *Instrumentation
}

func (w *users) Get(ctx context.Context, id string, opts scim.ReadOptions) (*scim.User, error) {
	ctx, done := w.i.call(ctx, "users.get")
	u, err := w.s.Get(ctx, id, opts)
	done(err)
	return u, err
}

func (w *users) Create(ctx context.Context, u *scim.User) (*scim.User, error) {
	ctx, done := w.i.call(ctx, "users.create")
	u, err := w.s.Create(ctx, u)
	done(err)
	return u, err
}

func (w *users) Replace(ctx context.Context, u *scim.User, ifVersion string) (*scim.User, error) {
	ctx, done := w.i.call(ctx, "users.replace")
	u, err := w.s.Replace(ctx, u, ifVersion)
	done(err)
	return u, err
}

func (w *users) Delete(ctx context.Context, id, ifVersion string) error {
	ctx, done := w.i.call(ctx, "users.delete")
	err := w.s.Delete(ctx, id, ifVersion)
	done(err)
	return err
}

func (w *users) List(ctx context.Context, q *scim.Query) (*scim.Page[scim.User], error) {
	ctx, done := w.i.call(ctx, "users.list")
	p, err := w.s.List(ctx, q)
	done(err)
	return p, err
}

// RecordsEvents reports whether the wrapped store records events
// ([scim.EventRecorder]).
func (w *users) RecordsEvents() bool {
	r, ok := w.s.(scim.EventRecorder)
	return ok && r.RecordsEvents()
}

type userLender struct {
	l scim.UserLender
	i *Instrumentation
}

func (w userLender) LendUser(ctx context.Context, id string, opts scim.ReadOptions, sink scim.UserSink) error {
	ctx, done := w.i.call(ctx, "users.lend")
	err := w.l.LendUser(ctx, id, opts, sink)
	done(err)
	return err
}

func (w userLender) LendUsers(ctx context.Context, q *scim.Query, sink scim.UserSink) error {
	ctx, done := w.i.call(ctx, "users.lend_list")
	err := w.l.LendUsers(ctx, q, sink)
	done(err)
	return err
}

type groups struct {
	s scim.GroupStore
	i *Instrumentation
}

func (w *groups) Get(ctx context.Context, id string, opts scim.ReadOptions) (*scim.Group, error) {
	ctx, done := w.i.call(ctx, "groups.get")
	g, err := w.s.Get(ctx, id, opts)
	done(err)
	return g, err
}

func (w *groups) Create(ctx context.Context, g *scim.Group) (*scim.Group, error) {
	ctx, done := w.i.call(ctx, "groups.create")
	g, err := w.s.Create(ctx, g)
	done(err)
	return g, err
}

func (w *groups) Replace(ctx context.Context, g *scim.Group, ifVersion string) (*scim.Group, error) {
	ctx, done := w.i.call(ctx, "groups.replace")
	g, err := w.s.Replace(ctx, g, ifVersion)
	done(err)
	return g, err
}

func (w *groups) Delete(ctx context.Context, id, ifVersion string) error {
	ctx, done := w.i.call(ctx, "groups.delete")
	err := w.s.Delete(ctx, id, ifVersion)
	done(err)
	return err
}

func (w *groups) List(ctx context.Context, q *scim.Query) (*scim.Page[scim.Group], error) {
	ctx, done := w.i.call(ctx, "groups.list")
	p, err := w.s.List(ctx, q)
	done(err)
	return p, err
}

// RecordsEvents reports whether the wrapped store records events
// ([scim.EventRecorder]).
func (w *groups) RecordsEvents() bool {
	r, ok := w.s.(scim.EventRecorder)
	return ok && r.RecordsEvents()
}

// EnforcesUniqueGroupDisplayNames reports whether the wrapped store keeps
// group displayNames unique ([scim.GroupDisplayNameEnforcer]).
func (w *groups) EnforcesUniqueGroupDisplayNames() bool {
	e, ok := w.s.(scim.GroupDisplayNameEnforcer)
	return ok && e.EnforcesUniqueGroupDisplayNames()
}

type memberPatcher struct {
	p scim.MemberPatcher
	i *Instrumentation
}

func (w memberPatcher) PatchMembers(ctx context.Context, groupID string, add []scim.MultiValue, remove []string, ifVersion string) (*scim.Group, error) {
	ctx, done := w.i.call(ctx, "groups.patch_members")
	g, err := w.p.PatchMembers(ctx, groupID, add, remove, ifVersion)
	done(err)
	return g, err
}

type memberPreserver struct {
	r scim.MemberPreservingReplacer
	i *Instrumentation
}

func (w memberPreserver) ReplaceKeepingMembers(ctx context.Context, g *scim.Group, ifVersion string) (*scim.Group, error) {
	ctx, done := w.i.call(ctx, "groups.replace_keeping_members")
	g, err := w.r.ReplaceKeepingMembers(ctx, g, ifVersion)
	done(err)
	return g, err
}
