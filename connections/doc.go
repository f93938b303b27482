// Package connections gives each customer of a multi-tenant application
// its own SCIM credentials, and serves every request for the customer its
// credential belongs to.
//
// A [Connection] is one identity-provider link of one tenant (the
// application's own identifier of a customer): the Entra ID or Okta that the
// customer's IT admin points at the application. A connection has
// credentials:
//
//   - tokens ([Manager.IssueToken]), the long-lived bearer token an identity
//     provider sends with every request;
//   - client secrets ([Manager.CreateClientSecret]), which, with the
//     connection's id as client_id, obtain short-lived access tokens from
//     the OAuth 2.0 token endpoint ([TokenHandler]; RFC 6749 §4.4, the
//     client credentials grant).
//
// The [Authenticator] accepts tokens and access tokens on SCIM requests and
// puts the connection's tenant into the request's context, where memstore
// and sqlstore (and an application's own store, through
// [scim.TenantFromContext]) partition the data by it:
//
//	store := memstore.NewConnections() // or sqlstore.NewConnections(db, dialect)
//	users, groups := memstore.New()
//	scimHandler := scim.NewHandler(users, groups,
//		scim.WithAuthenticator(connections.NewAuthenticator(store)))
//	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", scimHandler))
//	mux.Handle("POST /oauth/token", connections.NewTokenHandler(store)) // optional
//
// and the application's settings page creates connections and credentials
// for the signed-in admin's tenant with a [Manager].
//
// # Secrets
//
// Secrets are made from crypto/rand (240 random bits each) in a format
// secret scanners recognise ([SecretPattern]): a fixed prefix, a tag for
// the kind, the credential's id (so one lookup by primary key finds its
// record) and a CRC-32 check, so that a secret mistyped or cut short is
// refused without reading the store. A secret is returned once, in the
// [Issued] value that made it, as a [Secret] that prints as
// "[redacted]" unless [Secret.Reveal] is called; the store keeps only its
// SHA-256 (a fast hash is right for a random secret of this length: there
// is nothing to guess), which is compared in constant time.
//
// # Rotation and revocation
//
// [Manager.Rotate] makes a new credential that works at once and lets the
// old one work on, until it is revoked or for a grace period, so the
// identity provider can be given the new one without a failed request.
// [Manager.Revoke], [Manager.SetDisabled] and [Manager.Delete] take effect
// at the next request on every replica that shares the store, since the
// Authenticator reads the credential's record on every request (one
// indexed read) and keeps no cache of what it accepted. A credential can
// expire; its last use is recorded at most about once a minute, never with
// a write per request.
package connections
