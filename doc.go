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
// application, on SQLite or PostgreSQL; it reacts to deactivations and
// membership changes with [WithEventSink], which runs after each write
// and so at most once (at least once takes a store that records events,
// [EventRecorder], and package events).
//
// # Optional store capabilities
//
// A store may do more than [Store] requires. The handler finds each
// optional capability with a type assertion on the store given to
// [NewHandler] and uses it when it is there: [AttributeKeeper] declares
// the attributes a store keeps (see above); [MemberPatcher], on a
// GroupStore, adds and removes group members without rewriting the member
// list; [MemberPreservingReplacer], on a GroupStore, writes a PATCH that
// does not touch members (a rename) without reading or rewriting them;
// [UserLender], on a UserStore, hands users to the response encoder
// without copying them; [GroupDisplayNameEnforcer], on a GroupStore,
// keeps group displayNames unique per tenant atomically (see below);
// [EventRecorder] records the provisioning events of each write ([Event])
// in the write's own transaction, and [EventLog] and [EventNotifier] serve
// them as a feed (package events consumes it, package webhook posts it).
// The conformance suite (store/storetest) checks every capability a store
// has.
//
// # Unique group names
//
// By default a group's displayName is unique in its tenant, compared
// case-insensitively: Entra ID matches groups by it and Microsoft's
// reference implementation answers a duplicate with 409, which the handler
// does too (scimType uniqueness, on POST, PUT, PATCH and in /Bulk).
// [WithoutUniqueGroupDisplayNames] allows duplicates, as RFC 7643 does.
// The handler tells the store the rule with every group write, in the
// context ([UniqueGroupDisplayNamesFromContext]); memstore and sqlstore
// enforce it atomically (sqlstore with a unique index, across replicas).
// For a store without [GroupDisplayNameEnforcer] the handler looks the
// name up before writing, which two concurrent writes can both pass.
//
// # Bad input
//
// What a client sends is refused with a SCIM error (400 unless said
// otherwise), never stored changed, and never answered with a 500:
//
//   - Text: every string of a request (the path, so ids; query
//     parameters; JSON bodies, keys included; filters) must be valid
//     UTF-8 without NUL. A body that is not UTF-8 is invalidSyntax; NUL or
//     a lone UTF-16 surrogate escaped in a body (\u0000, \ud800) is
//     invalidValue; in a filter invalidFilter; in the path or another
//     query parameter invalidValue.
//   - Query strings: more than [MaxQueryParameters] parameters, or a
//     parameter the handler reads whose value has a bad %-escape or a raw
//     ';', is refused rather than read as if it were absent (a lookup by
//     filter would otherwise list everyone).
//   - Filters: a compare value longer than [MaxFilterValueBytes] is
//     invalidFilter.
//   - Types: a value of the wrong JSON type is invalidValue, such as a
//     string or a lone object where an array of objects belongs
//     ("emails": "a@example.com"). Kept for identity providers: "True"
//     and "False" for booleans (unless [WithStrictBooleans]), a manager
//     given as a bare id, and one item without an array in a PATCH whose
//     path names a multi-valued attribute.
//   - primary: true on more than one item of a multi-valued value is
//     invalidValue (RFC 7643 §2.4).
//   - PATCH: more operations than [WithMaxPatchOperations] allows (1000 by
//     default, advertised as patch.maxOperations) is 413, as /Bulk
//     refuses too many operations; a path naming a read-only attribute
//     (id, meta, groups) is mutability; an add or replace through a value
//     filter that matches nothing creates the item the filter names, and
//     is noTarget when the value contradicts the filter; a replace of a
//     complex attribute changes only the sub-attributes it names.
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
//
// # What one request may cost
//
// A client cannot make one request tie up a store or the server's memory:
//
//   - Filters have a cost ([Filter.Cost]: 1 a comparison, 10 a substring
//     comparison, each times 10 on a multi-valued attribute), and a list
//     or search whose filter costs more than [WithMaxFilterCost] (1000 by
//     default, advertised as ServiceProviderConfig filter.maxCost) is 400
//     invalidFilter. Stores stop evaluating a filter when the request's
//     context ends ([ApplyQueryContext]), and memstore holds a tenant's lock
//     only a chunk at a time while it scans.
//   - List responses are streamed, and the groups of a page that shows
//     members are read a few at a time, so memory holds a batch of groups,
//     not the page. With [WithMaxPageMembers], a page also ends once it
//     carries that many members: itemsPerPage says how many groups it holds
//     and the client pages on from there.
//   - A /Bulk request has a time budget ([WithBulkTimeout], 30 s by
//     default), after which each remaining operation answers 503 saying it
//     was not run.
//   - A PATCH that keeps losing races with other writers answers 503 with
//     Retry-After (412 only when the client sent If-Match).
//
// # Group members
//
// A member must be a user or group of the tenant (RFC 7643 §4.2): the
// handler asks the group store, through [ContextWithMemberCheck], to refuse
// any other atomically with the write, so that a user deleted while it is
// being added to a group is never left behind as a member, and answers 400
// invalidValue ([ErrMemberNotFound]). [WithForeignMembers] accepts members
// that live elsewhere.
//
// # Case-insensitive comparison
//
// userName uniqueness, lookups, filters and member values compare strings
// that are not caseExact by one rule, Unicode simple case folding
// ([FoldKey], the relation of strings.EqualFold), with no Unicode
// normalisation: whatever conflicts with a userName is also what a filter
// on it finds.
package scim
