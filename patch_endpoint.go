package scim

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"reflect"
	"time"
)

// The PATCH endpoint (RFC 7644 §3.5.2): it reads the resource, applies the
// PatchOp with the engine of patch.go, and writes the result back.

// maxPatchAttempts bounds the read-modify-write retries of a PATCH that
// races with other writers to the same resource.
const maxPatchAttempts = 16

// patchBackoff is the longest pause between two attempts of a PATCH; the
// pause doubles from a millisecond up to it, with jitter, so that writers
// racing on one resource spread out instead of colliding again in step.
// With maxPatchAttempts, a PATCH waits well under a second in all before
// it gives up.
const patchBackoff = 32 * time.Millisecond

// patchRetryAfter is the Retry-After (in seconds) of the 503 that a PATCH
// without If-Match answers when it gave up racing with other writers.
const patchRetryAfter = "1"

// errPatchContended is the answer to a PATCH without If-Match that lost
// every attempt to other writers: the client asked for no precondition, so
// 412 would be wrong; the request can simply be sent again.
var errPatchContended = NewError(http.StatusServiceUnavailable, "", "the resource is being changed by other requests; retry later")

// pauseBeforeRetry waits before the attempt after the given one (0-based),
// with full jitter over the upper half of the backoff, or until ctx is
// done, whose error it then returns.
func pauseBeforeRetry(ctx context.Context, attempt int) error {
	d := min(time.Millisecond<<min(attempt, 16), patchBackoff)
	d = d/2 + rand.N(d/2+1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// retryAfterRace is called when a write without If-Match (a PATCH, or a PUT
// with events) lost attempt (0-based) to another writer. It pauses before
// the next attempt and reports true, or answers the request and reports
// false: 503 with Retry-After when the attempts are used up, the context's
// error when the client went away.
func (h *handler) retryAfterRace(w http.ResponseWriter, r *http.Request, attempt int) bool {
	ctx := r.Context()
	if attempt+1 >= maxPatchAttempts {
		// Expected under load, not a fault: a warning, not an internal
		// error.
		h.cfg.logger.WarnContext(ctx, "scim: "+r.Method+" gave up racing with other writers", "path", r.URL.Path, "attempts", maxPatchAttempts)
		w.Header().Set("Retry-After", patchRetryAfter)
		writeErrorResponse(w, errPatchContended)
		return false
	}
	if err := pauseBeforeRetry(ctx, attempt); err != nil {
		h.writeError(w, r, err)
		return false
	}
	return true
}

// patch applies a PatchOp request (RFC 7644 §3.5.2). Without If-Match, a
// PATCH that loses a race with another writer is re-applied to the new
// version (after a pause with jitter), so concurrent PATCHes never lose
// updates, and one that loses maxPatchAttempts times is 503 with
// Retry-After; with If-Match, a changed version is 412.
func patch[R Resource](h *handler, w http.ResponseWriter, r *http.Request, rt *resourceType, store Store[R], id string) {
	body, err := h.readBody(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	req, err := parsePatch(body)
	if err == nil && len(req.ops) > h.cfg.maxPatchOps {
		err = errorf(http.StatusRequestEntityTooLarge, "",
			"The number of PATCH operations exceeds the maxOperations (%d).", h.cfg.maxPatchOps)
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	im := ifMatchOf(r)
	ctx := r.Context()
	p := h.projection(r, rt)
	noContent := h.patchNoContent(r, rt, req)

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
			if noContent {
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
	// members are, but a PATCH that does not touch them needs them neither
	// read nor written when the store can keep them as they are.
	keepMembers := rt == h.groupRT && h.memberPreserver != nil && !req.mentionsMembers(rt)
	// With events, a user's groups are read for the snapshot a store may
	// build before it writes (Change.Before).
	readOpts := ReadOptions{SkipMembership: (rt == h.userRT && !h.ev.on) || keepMembers}
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
		var change *Change
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
			var cctx context.Context
			cctx, change = h.beginChange(h.writeContext(ctx, rt), r, changeReplace, rt, any(cur))
			if keepMembers {
				var g *Group
				g, err = h.memberPreserver.ReplaceKeepingMembers(cctx, any(next).(*Group), curVer)
				result, _ = any(g).(*R)
			} else {
				result, err = store.Replace(cctx, next, curVer)
			}
			if errors.Is(err, ErrPreconditionFailed) && !im.conditional() {
				if !h.retryAfterRace(w, r, attempt) {
					return
				}
				continue
			}
			if err != nil {
				h.writeError(w, r, notFoundAs(err, rt, id))
				return
			}
			h.endChange(cctx, change, written(result))
		}
		if noContent {
			writeNoContent(w, metaOf(result).Version)
			return
		}
		// A user that was not written, and a group whose members were
		// neither read nor written, are read again for a response that
		// shows their membership.
		if (keepMembers || !changed) && readOpts.SkipMembership && p.wantsMembership(rt) {
			if result, err = store.Get(ctx, id, ReadOptions{}); err != nil {
				h.writeError(w, r, notFoundAs(err, rt, id))
				return
			}
		}
		writeWritten(h, w, r, rt, http.StatusOK, result, p, change)
		return
	}
}

// patchNoContent reports whether a successful PATCH answers 204 No Content,
// as [WithPatchResponse] says.
func (h *handler) patchNoContent(r *http.Request, rt *resourceType, req *patchRequest) bool {
	switch h.cfg.patchResponse {
	case PatchNoContent:
		return true
	case PatchReturnsResource:
		return false
	}
	if rt != h.groupRT || !req.membersOnly(rt) {
		return false
	}
	if r.URL.RawQuery == "" {
		return true
	}
	a := parseQueryArgs(r.URL.RawQuery)
	return a.vals[argAttributes] == "" && a.vals[argExcludedAttributes] == ""
}
