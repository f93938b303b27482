package scim

import "net/http"

// Temporary stand-ins until the features land.

func (rt *resourceType) parseSortBy(s string) (string, error) {
	return "", NewError(501, "", "sorting is not implemented yet")
}

func (h *handler) bulkSupported() bool { return false }

func (h *handler) bulk(w http.ResponseWriter, r *http.Request) {
	h.writeError(w, r, NewError(http.StatusNotImplemented, "", "/Bulk is not supported yet"))
}
