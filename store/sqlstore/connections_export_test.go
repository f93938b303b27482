package sqlstore

// LookupCredentialSQL returns the statement of Connections.LookupCredential
// in dialect d, for tests of its plan.
func LookupCredentialSQL(d Dialect) string {
	return (&Connections{d: d, queries: map[string]string{}}).query(qLookup)
}
