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
// those ([scim.UserLender], [scim.MemberPatcher], [scim.AttributeKeeper]),
// so the handler serves the wrapped store as it would the store itself.

// UserStore returns s, timed and traced.
func (i *Instrumentation) UserStore(s scim.UserStore) scim.UserStore {
	w := &users{s: s, i: i}
	lender, lends := s.(scim.UserLender)
	keeper, keeps := s.(scim.AttributeKeeper)
	switch {
	case lends && keeps:
		return &struct {
			*users
			userLender
			scim.AttributeKeeper
		}{w, userLender{lender, i}, keeper}
	case lends:
		return &struct {
			*users
			userLender
		}{w, userLender{lender, i}}
	case keeps:
		return &struct {
			*users
			scim.AttributeKeeper
		}{w, keeper}
	}
	return w
}

// GroupStore returns s, timed and traced.
func (i *Instrumentation) GroupStore(s scim.GroupStore) scim.GroupStore {
	w := &groups{s: s, i: i}
	patcher, patches := s.(scim.MemberPatcher)
	keeper, keeps := s.(scim.AttributeKeeper)
	switch {
	case patches && keeps:
		return &struct {
			*groups
			memberPatcher
			scim.AttributeKeeper
		}{w, memberPatcher{patcher, i}, keeper}
	case patches:
		return &struct {
			*groups
			memberPatcher
		}{w, memberPatcher{patcher, i}}
	case keeps:
		return &struct {
			*groups
			scim.AttributeKeeper
		}{w, keeper}
	}
	return w
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
