package scim

import (
	"errors"
	"net/http"
)

// The single-resource endpoints: POST to create, GET, PUT and DELETE
// (RFC 7644 §3.3, §3.4.1, §3.5.1, §3.6). PATCH is in patch_endpoint.go.

func create[R Resource](h *handler, w http.ResponseWriter, r *http.Request, rt *resourceType, store Store[R]) {
	doc, err := h.readResourceDoc(r, rt)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	res := fromDoc[R](doc)
	if u, ok := any(res).(*User); ok {
		if err := h.password(r.Context(), u, u.Password, ""); err != nil {
			h.writeError(w, r, err)
			return
		}
	}
	ctx, change := h.beginChange(h.writeContext(r.Context(), rt), r, changeCreate, rt, nil)
	created, err := store.Create(ctx, res)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.endChange(ctx, change, written(created))
	writeWritten(h, w, r, rt, http.StatusCreated, created, h.projection(r, rt), change)
}

func get[R Resource](h *handler, w http.ResponseWriter, r *http.Request, rt *resourceType, store Store[R], id string) {
	p := h.projection(r, rt)
	if rt == h.userRT && h.userLender != nil {
		h.getLent(w, r, p, id)
		return
	}
	res, err := store.Get(r.Context(), id, ReadOptions{SkipMembership: !p.wantsMembership(rt)})
	if err != nil {
		h.writeError(w, r, notFoundAs(err, rt, id))
		return
	}
	if inm := header(r, "If-None-Match"); inm != "" && etagMatches(inm, metaOf(res).Version) {
		w.Header().Set("ETag", metaOf(res).Version)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	writeResource(h, w, r, rt, http.StatusOK, res, p)
}

func replace[R Resource](h *handler, w http.ResponseWriter, r *http.Request, rt *resourceType, store Store[R], id string) {
	doc, err := h.readResourceDoc(r, rt)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	ctx := r.Context()
	im := ifMatchOf(r)
	// With events, the change is worked out from the resource read here, so
	// the write must replace exactly that version: without If-Match, a PUT
	// that loses a race with another writer reads again and retries, as a
	// PATCH does, rather than record events that describe a different
	// change than the one made.
	raced := h.ev.on && !im.conditional()
	for attempt := 0; ; attempt++ {
		// With events, a group's members before the write are needed for
		// the membership changes, and a user's groups for the snapshot a
		// store may build before it writes (Change.Before).
		old, err := store.Get(ctx, id, ReadOptions{SkipMembership: !h.ev.on})
		if err != nil {
			h.writeError(w, r, notFoundAs(err, rt, id))
			return
		}
		ver, err := im.versionRead(metaOf(old).Version)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		if raced {
			ver = metaOf(old).Version
		}
		res := fromDoc[R](doc)
		setID(res, id)
		// password is write-only: a client that PUTs what it read back
		// cannot send it, and must not erase it by doing so.
		if u, ok := any(res).(*User); ok {
			if err := h.password(ctx, u, u.Password, any(old).(*User).Password); err != nil {
				h.writeError(w, r, err)
				return
			}
		}
		cctx, change := h.beginChange(h.writeContext(ctx, rt), r, changeReplace, rt, any(old))
		stored, err := store.Replace(cctx, res, ver)
		if raced && errors.Is(err, ErrPreconditionFailed) {
			if !h.retryAfterRace(w, r, attempt) {
				return
			}
			continue
		}
		if err != nil {
			h.writeError(w, r, notFoundAs(err, rt, id))
			return
		}
		h.endChange(cctx, change, written(stored))
		writeWritten(h, w, r, rt, http.StatusOK, stored, h.projection(r, rt), change)
		return
	}
}

func remove[R Resource](h *handler, w http.ResponseWriter, r *http.Request, rt *resourceType, store Store[R], id string) {
	if h.ev.on {
		removeWithEvents(h, w, r, rt, store, id)
		return
	}
	ctx := r.Context()
	ver, err := versionUnread(ctx, ifMatchOf(r), store, id)
	if err != nil {
		h.writeError(w, r, notFoundAs(err, rt, id))
		return
	}
	if err := store.Delete(ctx, id, ver); err != nil {
		h.writeError(w, r, notFoundAs(err, rt, id))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
