package scim

import "net/http"

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
	created, err := store.Create(h.writeContext(r.Context(), rt), res)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeResource(h, w, r, rt, http.StatusCreated, created, h.projection(r, rt))
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
	old, err := store.Get(ctx, id, ReadOptions{SkipMembership: true})
	if err != nil {
		h.writeError(w, r, notFoundAs(err, rt, id))
		return
	}
	ver, err := ifMatchOf(r).versionRead(metaOf(old).Version)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	res := fromDoc[R](doc)
	setID(res, id)
	// password is write-only: a client that PUTs what it read back cannot
	// send it, and must not erase it by doing so.
	if u, ok := any(res).(*User); ok {
		if err := h.password(ctx, u, u.Password, any(old).(*User).Password); err != nil {
			h.writeError(w, r, err)
			return
		}
	}
	stored, err := store.Replace(h.writeContext(ctx, rt), res, ver)
	if err != nil {
		h.writeError(w, r, notFoundAs(err, rt, id))
		return
	}
	writeResource(h, w, r, rt, http.StatusOK, stored, h.projection(r, rt))
}

func remove[R Resource](h *handler, w http.ResponseWriter, r *http.Request, rt *resourceType, store Store[R], id string) {
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
