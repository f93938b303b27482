package scim

import (
	"context"
	"errors"
	"net/http"
)

// How the handler produces events: each write gets a Change in its
// context; a recording store turns it into events inside its transaction,
// and the handler builds them itself for a store that does not, then hands
// them to the sink.

// WithEventSink calls fn with the events of each write after the write
// returns, in the request's goroutine (so fn should be quick: hand the
// events to a queue rather than call out). With a store that records
// events ([EventRecorder]) fn gets the recorded events, cursors included;
// with any other store it gets events built by the handler, whose Cursor
// is 0, and which a crash between the store's commit and the call loses,
// and for a membership PATCH on a [MemberPatcher] they list the members
// the request named rather than only those that changed. By default there
// is no sink.
func WithEventSink(fn func(ctx context.Context, events []Event)) Option {
	return func(c *config) { c.eventSink = fn }
}

// WithEventObserver calls fn with the events of each write that produced
// any, after the write returns, for observation only: counting events for
// metrics, say (package scimotel's Instrumentation.EventObserver does). It
// never changes what a write does or answers. With a store that records
// events ([EventRecorder]) fn gets the recorded events, cursors included;
// with any other store it gets the events the handler built (Cursor 0),
// which it then builds for every write, as it does for a [WithEventSink]
// function: a DELETE then reads the resource before deleting it, for its
// last state.
//
// fn runs in the request's goroutine, before the response is written, so
// it must be cheap and must not block: add to a counter, hand off to a
// channel that drops when full. It must not modify the events, which the
// sink and the other observers receive too. It may be given several
// times, with [WithEventSink] or without: the sink is called first, then
// each observer in the order the options were given. A nil fn is ignored.
// By default there is no observer.
func WithEventObserver(fn func(ctx context.Context, events []Event)) Option {
	return func(c *config) {
		if fn != nil {
			c.eventObservers = append(c.eventObservers, fn)
		}
	}
}

// eventState is what the handler knows about events.
type eventState struct {
	// on reports that writes get a Change: the store records events or
	// there is a sink or an observer.
	on bool
	// recorded reports that the stores record events themselves.
	recorded  bool
	groupProj *projection
}

func (h *handler) setupEvents(users UserStore, groups GroupStore) {
	ur, _ := users.(EventRecorder)
	gr, _ := groups.(EventRecorder)
	h.ev.recorded = ur != nil && ur.RecordsEvents() && gr != nil && gr.RecordsEvents()
	h.ev.on = h.ev.recorded || h.cfg.eventSink != nil || len(h.cfg.eventObservers) > 0
	h.ev.groupProj = h.groupRT.newProjection("", "members")
}

// beginChange returns ctx with the Change of a write, or ctx and nil when
// no one wants events.
func (h *handler) beginChange(ctx context.Context, r *http.Request, op changeOp, rt *resourceType, old any) (context.Context, *Change) {
	if !h.ev.on {
		return ctx, nil
	}
	c := &Change{
		op:     op,
		rt:     rt,
		enc:    &eventEncoder{base: h.baseURL(r), userRT: h.userRT, groupRT: h.groupRT, groupProj: h.ev.groupProj},
		tenant: TenantFromContext(ctx),
		old:    old,
	}
	return contextWithChange(ctx, c), c
}

// endChange runs after a write succeeded: it builds the events the store
// did not record and hands them to the sink and the observers.
func (h *handler) endChange(ctx context.Context, c *Change, w Written) {
	if c == nil {
		return
	}
	if !c.called {
		switch c.op {
		case changeMembers:
			w.MembersAdded, w.MembersRemoved = memberIDs(c.add), c.remove
		case changeDelete:
			if u, ok := c.old.(*User); ok {
				for _, g := range u.Groups {
					w.FormerGroups = append(w.FormerGroups, g.Value)
				}
			}
		}
		c.events = c.build(w)
	}
	if len(c.events) == 0 {
		return
	}
	if h.cfg.eventSink != nil {
		h.cfg.eventSink(ctx, c.events)
	}
	for _, o := range h.cfg.eventObservers {
		o(ctx, c.events)
	}
}

// written is the Written of a write that stored res.
func written[R Resource](res *R) Written {
	switch x := any(res).(type) {
	case *User:
		return Written{User: x}
	case *Group:
		return Written{Group: x}
	}
	return Written{}
}

// removeWithEvents is DELETE when events are wanted: it reads the
// resource first, for the deletion's last state, and deletes that version,
// retrying as PATCH does if another writer changed it in between, so that
// the snapshot is exactly what was deleted.
func removeWithEvents[R Resource](h *handler, w http.ResponseWriter, r *http.Request, rt *resourceType, store Store[R], id string) {
	ctx := r.Context()
	im := ifMatchOf(r)
	// A user's groups are its former groups, unless the store records
	// events and says which they were.
	opts := ReadOptions{SkipMembership: rt != h.userRT || h.ev.recorded}
	for attempt := 0; ; attempt++ {
		old, err := store.Get(ctx, id, opts)
		if err != nil {
			h.writeError(w, r, notFoundAs(err, rt, id))
			return
		}
		if err := im.check(metaOf(old).Version); err != nil {
			h.writeError(w, r, err)
			return
		}
		cctx, c := h.beginChange(ctx, r, changeDelete, rt, any(old))
		err = store.Delete(cctx, id, metaOf(old).Version)
		if errors.Is(err, ErrPreconditionFailed) && (!im.conditional() || im == "*") && attempt < maxPatchAttempts {
			continue
		}
		if err != nil {
			h.writeError(w, r, notFoundAs(err, rt, id))
			return
		}
		h.endChange(cctx, c, Written{})
		w.WriteHeader(http.StatusNoContent)
		return
	}
}
