// Package console is a provisioning console: the SCIM settings pages a
// SaaS application mounts for its customers' IT admins, behind its own
// admin authentication.
//
// It serves four pages for the tenant the signed-in admin manages:
//
//   - Setup: the SCIM base URL to paste into the identity provider, the
//     tenant's connections, and their credentials, created, rotated and
//     revoked here (a secret is shown once, in the response to the form
//     that made it); step-by-step guides for Microsoft Entra ID, Okta and
//     other SCIM clients.
//   - Activity: the provisioning log, newest first, failures highlighted
//     with the SCIM error and a plain-language hint, filtered by status,
//     time and user; and the recent provisioning events.
//   - Directory: the users and groups provisioned, their counts, the last
//     change, the deactivated users; search by userName or displayName.
//   - Check: runs Microsoft Entra ID's "Test connection" requests and a
//     create-read-deactivate-delete round trip against the SCIM handler,
//     with a short-lived credential of the tenant that is revoked
//     afterwards, and shows each step's result.
//
// Mount it under a path of the application, behind the middleware that
// signs admins in, and tell it which tenant the admin of a request manages:
//
//	c := console.New(manager, users, groups,
//		func(r *http.Request) (string, bool) { return currentAdmin(r).Tenant, true },
//		console.WithSCIMHandler(scimHandler))
//	mux.Handle("/settings/scim/", requireAdmin(http.StripPrefix("/settings/scim", c)))
//
// Links between the pages are relative, so the console works under any
// prefix.
//
// The Activity page shows the provisioning log and events it is given:
// [FromRequestLog] reads the library's request log (what
// [scim.WithRequestLog] keeps, in memstore's or sqlstore's RequestLog) and
// [FromEventLog] a store's event feed ([scim.EventLog]):
//
//	console.WithRecords(console.FromRequestLog(requestLog)),
//	console.WithEvents(console.FromEventLog(users)),
//
// # Safety
//
// Every page is rendered with html/template, which escapes every value an
// identity provider sent (display names are attacker-controlled input).
// Every response carries a Content-Security-Policy that allows no inline
// script or style and no framing, and X-Frame-Options DENY. Every form that
// changes something carries a CSRF token, an HMAC of a random value held in
// a cookie and of the tenant; a POST without it, or from another origin, is
// refused with 403. Secrets appear only in the body of the response to the
// POST that made them (never in a URL, a redirect or a log line), with
// Cache-Control: no-store.
//
// # Look
//
// The pages are plain HTML with one stylesheet whose colours, fonts and
// spacing are CSS custom properties (--console-accent, --console-bg, …):
// [WithStylesheet] adds the application's own stylesheet after it, which
// can set them. [WithTemplates] replaces any of the templates.
package console
