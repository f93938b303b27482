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

// eventState is what the handler knows about events.
type eventState struct {
	// on reports that writes get a Change: the store records events or
	// there is a sink.
	on bool
	// recorded reports that the stores record events themselves.
	recorded  bool
	groupProj *projection
}

func (h *handler) setupEvents(users UserStore, groups GroupStore) {
	ur, _ := users.(EventRecorder)
	gr, _ := groups.(EventRecorder)
	h.ev.recorded = ur != nil && ur.RecordsEvents() && gr != nil && gr.RecordsEvents()
	h.ev.on = h.ev.recorded || h.cfg.eventSink != nil
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
// did not record and hands them to the sink.
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
	if h.cfg.eventSink != nil && len(c.events) > 0 {
		h.cfg.eventSink(ctx, c.events)
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
