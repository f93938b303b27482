package scim

import "net/http"

// Temporary stand-ins until the PATCH engine lands (patch.go).

type patchRequest struct{}

func parsePatch(body []byte) (*patchRequest, error) {
	return nil, NewError(501, "", "PATCH is not implemented yet")
}

func (rt *resourceType) applyPatch(doc map[string]any, req *patchRequest, strict bool) (bool, error) {
	return false, NewError(501, "", "PATCH is not implemented yet")
}

func (req *patchRequest) membershipOnly(rt *resourceType) (add []MultiValue, remove []string, ok bool) {
	return nil, nil, false
}

func (h *handler) bulkSupported() bool { return false }

func (h *handler) bulk(w http.ResponseWriter, r *http.Request) {
	h.writeError(w, r, NewError(http.StatusNotImplemented, "", "/Bulk is not supported yet"))
}
