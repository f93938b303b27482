// Package scim serves SCIM 2.0 (RFC 7643, RFC 7644) user and group
// provisioning from identity providers such as Microsoft Entra ID and Okta,
// as one [net/http.Handler] that an application mounts in its own server.
//
// The application supplies persistence by implementing [UserStore] and
// [GroupStore] (or using a package under store/, such as memstore); the
// handler does the rest of SCIM: routing, validation against the schemas,
// PATCH, filtering, sorting, paging, attribute projection, versioning,
// errors and the discovery endpoints.
//
// # Mounting
//
//	users, groups := memstore.New()
//	h := scim.NewHandler(users, groups, scim.WithBearerToken(os.Getenv("SCIM_TOKEN")))
//	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", h))
//
// # Authentication fails closed
//
// A handler always knows how it authenticates requests, or it does not
// start: [NewHandler] panics unless one of [WithBearerToken],
// [WithTokenValidator], [WithAuthenticator] or [WithoutAuthentication] is
// given, and it panics when WithBearerToken is given an empty or blank
// token, so that an unset environment variable never serves a directory to
// anyone who asks. Serving without authentication takes the explicit
// WithoutAuthentication, for applications whose own middleware
// authenticates every request first.
//
// # Tenancy
//
// The request's context reaches every store call. A multi-tenant
// application resolves the tenant of a request (in an [Authenticator], or
// in its own middleware), puts it in the context with [ContextWithTenant],
// and memstore and sqlstore partition their data by it; an application's
// own store reads it with [TenantFromContext].
//
// # Stores over an application's own tables
//
// A store need not keep every SCIM attribute. One that implements
// [AttributeKeeper] declares the attributes its tables hold, and the
// handler advertises, accepts, filters on and returns those alone; the
// store answers the lookups identity providers make with
// [Filter.Equalities], and leaves the rest to [ApplyQuery]. Passwords
// never reach a store unless the application takes them with
// [WithPasswordHandler]. The repository's examples/appstore is such an
// application, on SQLite or PostgreSQL.
//
// # Optional store capabilities
//
// A store may do more than [Store] requires. The handler finds each
// optional capability with a type assertion on the store given to
// [NewHandler] and uses it when it is there: [AttributeKeeper] declares
// the attributes a store keeps (see above); [MemberPatcher], on a
// GroupStore, adds and removes group members without rewriting the member
// list; [UserLender], on a UserStore, hands users to the response encoder
// without copying them; [EventRecorder] records the provisioning events
// of each write ([Event]) in the write's own transaction, and [EventLog]
// and [EventNotifier] serve them as a feed (package events consumes it,
// package webhook posts it). The conformance suite (store/storetest)
// checks every capability a store has.
//
// Wrapping a store passes its capabilities on: a type that embeds a
// store's concrete type, such as struct{ *memstore.UserStore }, has the
// store's LendUser and LendUsers methods too, since Go promotes them, and
// the handler uses them. A wrapper that overrides Get or List to change
// what is read (to hide or rewrite users, say) must therefore also
// override the capabilities that read or write the same data, or they
// bypass its override. To pass on the Store methods and nothing else,
// embed the interface instead: struct{ scim.UserStore } has Get, Create,
// Replace, Delete and List, and no capability.
package scim
