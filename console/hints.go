package console

import "strings"

// Hint says in plain language what a failed request means and what the
// admin can do about it, from its status, SCIM error type and action; ""
// for a request that did not fail.
func Hint(r Record) string {
	if !r.Failed() {
		return ""
	}
	group := strings.HasPrefix(r.Action, "group") || strings.Contains(r.Path, "/Groups")
	switch r.ScimType {
	case "uniqueness":
		if group {
			return "A group with this displayName already exists. Rename one of them in your identity provider, or delete the old group here."
		}
		return "A user with this userName already exists. Check your identity provider's matching attribute, or delete the old user."
	case "invalidFilter":
		return "Your identity provider sent a search we could not read. Check the matching attribute in its mappings."
	case "invalidPath", "noTarget":
		return "Your identity provider named an attribute we do not keep. Remove that attribute's mapping."
	case "invalidValue":
		return "An attribute had a value we cannot accept (see the detail). Fix the value or its mapping in your identity provider."
	case "invalidSyntax":
		return "The request was not valid SCIM. Check the attribute mappings of your identity provider."
	case "mutability":
		return "The request tried to change an attribute that cannot be changed, such as an id."
	case "tooMany":
		return "The search matched too many resources. Narrow the matching attribute."
	case "invalidVers":
		return "The resource changed in between; your identity provider will retry."
	}
	switch {
	case r.Status == 401:
		return "The token was missing, wrong, revoked or expired. Give your identity provider a working token from the Setup page."
	case r.Status == 403:
		return "The connection is disabled, or its token may not do this. Enable the connection on the Setup page."
	case r.Status == 404:
		if group {
			return "This group no longer exists here. Your identity provider creates it again on its next cycle, or you can restart provisioning."
		}
		return "This user no longer exists here. Your identity provider creates it again on its next cycle, or you can restart provisioning."
	case r.Status == 409:
		return "The request conflicts with an existing user or group."
	case r.Status == 412:
		return "The resource changed in between; your identity provider will retry."
	case r.Status == 413:
		return "The request was too large. Split large groups or bulk requests."
	case r.Status == 429:
		return "Too many requests at once; your identity provider will slow down and retry."
	case r.Status >= 500:
		return "Our service could not handle this request. It is not your configuration; your identity provider will retry, and support can help if it persists."
	}
	return "The request was refused (see the detail)."
}
