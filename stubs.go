package scim

import "net/http"

// Temporary stand-ins until the features land.

func (h *handler) bulkSupported() bool { return false }

func (h *handler) bulk(w http.ResponseWriter, r *http.Request) {
	h.writeError(w, r, NewError(http.StatusNotImplemented, "", "/Bulk is not supported yet"))
}
