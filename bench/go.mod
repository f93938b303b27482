module github.com/scimkit/scim/bench

go 1.26

require (
	github.com/elimity-com/scim v0.0.0-20260728105928-2641426a1539
	github.com/scim2/filter-parser/v2 v2.3.1
	github.com/scimkit/scim v0.1.0
	github.com/stretchr/testify v1.12.1
)

require (
	github.com/q-uint/parser v0.3.1 // indirect
	github.com/q-uint/xsd-datetime v1.0.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
)

// The benchmark always runs against the scimkit source next to it.
replace github.com/scimkit/scim => ../
