module github.com/scimkit/scim

go 1.26

require (
	github.com/scim2/filter-parser/v2 v2.3.1
	github.com/stretchr/testify v1.12.1
)

require (
	github.com/q-uint/parser v0.3.1 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
)
