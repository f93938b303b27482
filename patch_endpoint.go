package scim

import (
	"errors"
	"net/http"
	"reflect"
)

// The PATCH endpoint (RFC 7644 §3.5.2): it reads the resource, applies the
// PatchOp with the engine of patch.go, and writes the result back.

// maxPatchAttempts bounds the read-modify-write retries of a PATCH that
// races with other writers to the same resource.
const maxPatchAttempts = 32

// patch applies a PatchOp request (RFC 7644 §3.5.2). Without If-Match, a
// PATCH that loses a race with another writer is re-applied to the new
// version, so concurrent PATCHes never lose updates; with If-Match, a
// changed version is 412.
func patch[R Resource](h *handler, w http.ResponseWriter, r *http.Request, rt *resourceType, store Store[R], id string) {
	body, err := h.readBody(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	req, err := parsePatch(body)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	im := ifMatchOf(r)
	ctx := r.Context()
	p := h.projection(r, rt)

	if gs, ok := any(store).(GroupStore); ok && h.memberPatcher != nil && rt == h.groupRT {
		if add, del, ok := req.membershipOnly(rt); ok {
			if add, err = rt.keptMembers(add); err != nil {
				h.writeError(w, r, err)
				return
			}
			ver, err := versionUnread(ctx, im, gs, id)
			if err != nil {
				h.writeError(w, r, notFoundAs(err, rt, id))
				return
			}
			cctx, change := h.beginChange(ctx, r, changeMembers, rt, nil)
			if change != nil {
				change.add, change.remove = add, del
			}
			g, err := h.memberPatcher.PatchMembers(cctx, id, add, del, ver)
			if err != nil {
				h.writeError(w, r, notFoundAs(err, rt, id))
				return
			}
			h.endChange(cctx, change, Written{Group: g})
			if h.cfg.patchNoContent {
				writeNoContent(w, g.Meta.Version)
				return
			}
			if p.wantsMembership(rt) {
				if g, err = gs.Get(ctx, id, ReadOptions{}); err != nil {
					h.writeError(w, r, notFoundAs(err, rt, id))
					return
				}
			}
			writeResource(h, w, r, rt, http.StatusOK, g, p)
			return
		}
	}

	// A user's groups are read-only and not part of its document; a group's
	// members are.
	readOpts := ReadOptions{SkipMembership: rt == h.userRT}
	for attempt := 0; ; attempt++ {
		cur, err := store.Get(ctx, id, readOpts)
		if err != nil {
			h.writeError(w, r, notFoundAs(err, rt, id))
			return
		}
		curVer := metaOf(cur).Version
		if err := im.check(curVer); err != nil {
			h.writeError(w, r, err)
			return
		}
		// What a store returns beyond what it keeps is not the resource's.
		doc := docOf(cur)
		_ = rt.keptDoc(doc, false)
		changed, err := rt.applyPatch(doc, req, h.cfg.strictPatch)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		var ndoc map[string]any
		if changed {
			// The result is validated like a PUT body.
			if ndoc, err = rt.normalizeDoc(doc); err == nil {
				err = rt.keptDoc(ndoc, rt.strictAttributes)
			}
			if err != nil {
				h.writeError(w, r, err)
				return
			}
			// A PATCH that leaves the resource as it was is not a write, so
			// its version stays.
			before := docOf(cur)
			_ = rt.keptDoc(before, false)
			if before, err := rt.normalizeDoc(before); err == nil && reflect.DeepEqual(before, ndoc) {
				changed = false
			}
		}
		result := cur
		if !changed && readOpts.SkipMembership && p.wantsMembership(rt) {
			if result, err = store.Get(ctx, id, ReadOptions{}); err != nil {
				h.writeError(w, r, notFoundAs(err, rt, id))
				return
			}
		}
		if changed {
			next := fromDoc[R](ndoc)
			setID(next, id)
			if u, ok := any(next).(*User); ok {
				old, sent := any(cur).(*User).Password, u.Password
				if sent == old {
					sent = ""
				}
				if err := h.password(ctx, u, sent, old); err != nil {
					h.writeError(w, r, err)
					return
				}
			}
			cctx, change := h.beginChange(ctx, r, changeReplace, rt, any(cur))
			result, err = store.Replace(cctx, next, curVer)
			if errors.Is(err, ErrPreconditionFailed) && !im.conditional() && attempt < maxPatchAttempts {
				continue
			}
			if err != nil {
				h.writeError(w, r, notFoundAs(err, rt, id))
				return
			}
			h.endChange(cctx, change, written(result))
		}
		if h.cfg.patchNoContent {
			writeNoContent(w, metaOf(result).Version)
			return
		}
		writeResource(h, w, r, rt, http.StatusOK, result, p)
		return
	}
}
