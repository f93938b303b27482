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
	created, err := store.Create(r.Context(), res)
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
	want, _, conditional := ifMatch(r)
	old, err := store.Get(ctx, id, ReadOptions{SkipMembership: true})
	if err != nil {
		h.writeError(w, r, notFoundAs(err, rt, id))
		return
	}
	if conditional && want != "" && !etagMatches(want, metaOf(old).Version) {
		h.writeError(w, r, ErrPreconditionFailed)
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
	ver := ""
	if conditional {
		ver = metaOf(old).Version
	}
	stored, err := store.Replace(ctx, res, ver)
	if err != nil {
		h.writeError(w, r, notFoundAs(err, rt, id))
		return
	}
	writeResource(h, w, r, rt, http.StatusOK, stored, h.projection(r, rt))
}

func remove[R Resource](h *handler, w http.ResponseWriter, r *http.Request, rt *resourceType, store Store[R], id string) {
	want, mustExist, _ := ifMatch(r)
	ctx := r.Context()
	if want != "" {
		var err error
		if want, err = ifVersion(ctx, store, id, want); err != nil {
			h.writeError(w, r, notFoundAs(err, rt, id))
			return
		}
	}
	if mustExist {
		if _, err := store.Get(ctx, id, ReadOptions{SkipMembership: true}); err != nil {
			h.writeError(w, r, notFoundAs(err, rt, id))
			return
		}
	}
	if err := store.Delete(ctx, id, want); err != nil {
		h.writeError(w, r, notFoundAs(err, rt, id))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
