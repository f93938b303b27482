package scim

import (
	"encoding/json"
	"testing"

	"github.com/scim2/filter-parser/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// parserAgreementCorpus holds filters that filter.ParseFilterNumber
// accepts; parseFilterSyntax must give the same tree for each.
var parserAgreementCorpus = []string{
	`userName eq "bjensen"`,
	`USERNAME Eq "x"`,
	`name.familyName co "O'Malley"`,
	`userName sw "J"`,
	`urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"`,
	`urn:ietf:params:scim:schemas:core:2.0:User:name.familyName eq "x"`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "x"`,
	`title pr`,
	`title PR`,
	`meta.lastModified gt "2011-05-13T04:42:34Z"`,
	`meta.lastModified ge "2011-05-13T04:42:34Z"`,
	`meta.lastModified lt "2011-05-13T04:42:34Z"`,
	`meta.lastModified le "2011-05-13T04:42:34Z"`,
	`title pr and userType eq "Employee"`,
	`title pr or userType eq "Intern"`,
	`schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`,
	`userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")`,
	`userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`,
	`userType eq "Employee" and (emails.type eq "work")`,
	`userType eq "Employee" and emails[type eq "work" and value co "@example.com"]`,
	`emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]`,
	`emails[not (type eq "work")]`,
	`emails[value eq "x" or value eq "y"]`,
	`emails [type eq "x"]`,
	`emails[ type eq "x" ]`,
	`a pr or b pr or c pr`,
	`a pr and b pr and c pr or d pr`,
	`a pr or b pr and c pr`,
	`((a pr))`,
	`not((a pr))`,
	`NOT (a pr)`,
	`a pr and not (b pr)`,
	`a pr  and  b pr`,
	`a eq "x\"y"`,
	`a eq "\u00E9\t\\"`,
	`a eq "é"`,
	`a eq ""`,
	`a eq null`,
	`a eq NULL`,
	`a eq true`,
	`a eq False`,
	`a eq 1`,
	`a eq -0`,
	`a eq 1.50`,
	`a eq 1E5`,
	`a eq 1e+5`,
	`a eq -1.5e-3`,
	`a eq 99999999999999999999999`,
	`$ref eq "x"`,
	`a.$ref eq "x"`,
	`a-b_c eq "x"`,
	`urn:a:b eq "x"`,
	`urn:a:b:c.d eq "x"`,
	`emails.value[type eq "x"]`,
}

func TestParserAgreesWithFilterParser(t *testing.T) {
	for _, s := range parserAgreementCorpus {
		t.Run(s, func(t *testing.T) {
			want, err := filter.ParseFilterNumber([]byte(s))
			require.NoError(t, err, "the corpus must hold filters that filter-parser accepts")
			got, err := parseFilterSyntax(s)
			require.NoError(t, err)
			assert.Equal(t, want, got)
		})
	}
}

func TestParserExtensions(t *testing.T) {
	str := func(s string) *string { return &s }
	tests := []struct {
		in   string
		want filter.Expression
	}{
		// Value filters of more than two terms, and with parentheses.
		{`emails[type eq "w" and value pr and primary eq true]`, &filter.ValuePath{
			AttributePath: filter.AttributePath{AttributeName: "emails"},
			ValueFilter: &filter.LogicalExpression{Operator: filter.AND,
				Left: &filter.LogicalExpression{Operator: filter.AND,
					Left:  &filter.AttributeExpression{AttributePath: filter.AttributePath{AttributeName: "type"}, Operator: filter.EQ, CompareValue: "w"},
					Right: &filter.AttributeExpression{AttributePath: filter.AttributePath{AttributeName: "value"}, Operator: filter.PR}},
				Right: &filter.AttributeExpression{AttributePath: filter.AttributePath{AttributeName: "primary"}, Operator: filter.EQ, CompareValue: true}},
		}},
		// Entra ID's form.
		{`members[value eq "x"].display eq "y"`, &filter.ValuePath{
			AttributePath: filter.AttributePath{AttributeName: "members"},
			ValueFilter: &filter.LogicalExpression{Operator: filter.AND,
				Left:  &filter.AttributeExpression{AttributePath: filter.AttributePath{AttributeName: "value"}, Operator: filter.EQ, CompareValue: "x"},
				Right: &filter.AttributeExpression{AttributePath: filter.AttributePath{AttributeName: "display"}, Operator: filter.EQ, CompareValue: "y"}},
		}},
		// Bare words; numbers and literals stay what they are.
		{`meta.created gt 2015-10-10T14:38:21.8617979-07:00`, &filter.AttributeExpression{
			AttributePath: filter.AttributePath{AttributeName: "meta", SubAttribute: str("created")},
			Operator:      filter.GT, CompareValue: bareWord("2015-10-10T14:38:21.8617979-07:00")}},
		{`a eq 12`, &filter.AttributeExpression{AttributePath: filter.AttributePath{AttributeName: "a"}, Operator: filter.EQ, CompareValue: json.Number("12")}},
		{`a eq 012`, &filter.AttributeExpression{AttributePath: filter.AttributePath{AttributeName: "a"}, Operator: filter.EQ, CompareValue: bareWord("012")}},
		{`a eq O'Brien`, &filter.AttributeExpression{AttributePath: filter.AttributePath{AttributeName: "a"}, Operator: filter.EQ, CompareValue: bareWord("O'Brien")}},
		// Lower-case \u escapes, kept undecoded; white space around.
		{" \ta eq \"\\u00e9\"\n", &filter.AttributeExpression{AttributePath: filter.AttributePath{AttributeName: "a"}, Operator: filter.EQ, CompareValue: `\u00e9`}},
		// A name that starts with "not" is an attribute.
		{`notes pr`, &filter.AttributeExpression{AttributePath: filter.AttributePath{AttributeName: "notes"}, Operator: filter.PR}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseFilterSyntax(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestIsJSONNumber(t *testing.T) {
	for _, s := range []string{"0", "-0", "1", "12", "1.5", "-1.5e10", "1E+2", "0.0e-0"} {
		assert.True(t, isJSONNumber(s), s)
	}
	for _, s := range []string{"", "-", "01", "1.", ".5", "+1", "1e", "1e+", "1.5.5", "0x10", "1a", "--1"} {
		assert.False(t, isJSONNumber(s), s)
	}
}
