package scim

import (
	"strings"
)

// Schema URNs defined by RFC 7643 and RFC 7644.
const (
	UserSchema           = "urn:ietf:params:scim:schemas:core:2.0:User"
	GroupSchema          = "urn:ietf:params:scim:schemas:core:2.0:Group"
	EnterpriseUserSchema = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	ListResponseSchema   = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	PatchOpSchema        = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	SearchRequestSchema  = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
	BulkRequestSchema    = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
	BulkResponseSchema   = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"

	schemaSchema                = "urn:ietf:params:scim:schemas:core:2.0:Schema"
	resourceTypeSchema          = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	serviceProviderConfigSchema = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
)

// AttrType is the data type of an attribute (RFC 7643 §2.3).
type AttrType string

// Attribute data types.
const (
	TypeString    AttrType = "string"
	TypeBoolean   AttrType = "boolean"
	TypeDecimal   AttrType = "decimal"
	TypeInteger   AttrType = "integer"
	TypeDateTime  AttrType = "dateTime"
	TypeBinary    AttrType = "binary"
	TypeReference AttrType = "reference"
	TypeComplex   AttrType = "complex"
)

// Mutability says whether and how a client may change an attribute
// (RFC 7643 §7).
type Mutability string

// Mutability values.
const (
	ReadWrite Mutability = "readWrite"
	ReadOnly  Mutability = "readOnly"
	Immutable Mutability = "immutable"
	WriteOnly Mutability = "writeOnly"
)

// Returned says when an attribute appears in a response (RFC 7643 §7).
type Returned string

// Returned values.
const (
	ReturnedDefault Returned = "default"
	ReturnedAlways  Returned = "always"
	ReturnedNever   Returned = "never"
	ReturnedRequest Returned = "request"
)

// Uniqueness says how an attribute's values must be unique (RFC 7643 §7).
type Uniqueness string

// Uniqueness values.
const (
	UniqueNone   Uniqueness = "none"
	UniqueServer Uniqueness = "server"
	UniqueGlobal Uniqueness = "global"
)

// Attribute defines one attribute of a [Schema] (RFC 7643 §7). Zero values
// mean the RFC defaults: type string, readWrite, returned default,
// uniqueness none, not multi-valued, not required, not case-exact.
type Attribute struct {
	Name            string
	Type            AttrType
	MultiValued     bool
	Description     string
	Required        bool
	CaseExact       bool
	Mutability      Mutability
	Returned        Returned
	Uniqueness      Uniqueness
	CanonicalValues []string
	ReferenceTypes  []string
	// SubAttributes of a complex attribute. Sub-attributes are never complex.
	SubAttributes []*Attribute
}

// Sub returns the sub-attribute called name, compared case-insensitively,
// or nil.
func (a *Attribute) Sub(name string) *Attribute {
	return findAttr(a.SubAttributes, name)
}

func (a *Attribute) typ() AttrType {
	if a.Type == "" {
		return TypeString
	}
	return a.Type
}

func (a *Attribute) mutability() Mutability {
	if a.Mutability == "" {
		return ReadWrite
	}
	return a.Mutability
}

func (a *Attribute) returned() Returned {
	if a.Returned == "" {
		return ReturnedDefault
	}
	return a.Returned
}

// Schema is a SCIM schema (RFC 7643 §7): the core User and Group schemas,
// the Enterprise User extension, or an extension an application registers
// with [WithUserExtension] or [WithGroupExtension].
type Schema struct {
	// ID is the schema URN, such as
	// "urn:ietf:params:scim:schemas:extension:acme:2.0:User".
	ID          string
	Name        string
	Description string
	Attributes  []*Attribute
}

// Attr returns the attribute called name, compared case-insensitively, or
// nil.
func (s *Schema) Attr(name string) *Attribute {
	return findAttr(s.Attributes, name)
}

func findAttr(attrs []*Attribute, name string) *Attribute {
	for _, a := range attrs {
		if strings.EqualFold(a.Name, name) {
			return a
		}
	}
	return nil
}

// Schema definitions of RFC 7643 §8.7.1, shared (read-only) by every handler.
var (
	userSchema           = newUserSchema()
	groupSchema          = newGroupSchema()
	enterpriseUserSchema = newEnterpriseUserSchema()
	// commonAttrs are the attributes every resource has (RFC 7643 §3.1).
	commonAttrs = []*Attribute{
		{Name: "id", CaseExact: true, Mutability: ReadOnly, Returned: ReturnedAlways, Uniqueness: UniqueServer,
			Description: "Unique identifier for the SCIM resource as defined by the Service Provider."},
		{Name: "externalId", CaseExact: true,
			Description: "A String that is an identifier for the resource as defined by the provisioning client."},
		{Name: "meta", Type: TypeComplex, Mutability: ReadOnly,
			Description: "A complex attribute containing resource metadata.",
			SubAttributes: []*Attribute{
				{Name: "resourceType", CaseExact: true, Mutability: ReadOnly, Description: "The name of the resource type of the resource."},
				{Name: "created", Type: TypeDateTime, Mutability: ReadOnly, Description: "The DateTime that the resource was added to the service provider."},
				{Name: "lastModified", Type: TypeDateTime, Mutability: ReadOnly, Description: "The most recent DateTime that the details of this resource were updated at the service provider."},
				{Name: "location", Type: TypeReference, ReferenceTypes: []string{"uri"}, CaseExact: true, Mutability: ReadOnly, Description: "The URI of the resource being returned."},
				{Name: "version", CaseExact: true, Mutability: ReadOnly, Description: "The version of the resource being returned."},
			}},
	}
)

func str(name, desc string) *Attribute { return &Attribute{Name: name, Description: desc} }

// multiValuedSubs returns the sub-attributes shared by emails, phoneNumbers,
// ims, photos, entitlements, roles and x509Certificates.
func multiValuedSubs(valueType AttrType, what string, types ...string) []*Attribute {
	value := &Attribute{Name: "value", Type: valueType, Description: what + " value."}
	if valueType == TypeReference {
		value.ReferenceTypes = []string{"external"}
	}
	typ := &Attribute{Name: "type", Description: "A label indicating the attribute's function.", CanonicalValues: types}
	return []*Attribute{
		value,
		{Name: "display", Description: "A human-readable name, primarily used for display purposes."},
		typ,
		{Name: "primary", Type: TypeBoolean, Description: "A Boolean value indicating the 'primary' or preferred attribute value for this attribute."},
	}
}

func newUserSchema() *Schema {
	mv := func(name, desc string, valueType AttrType, types ...string) *Attribute {
		return &Attribute{Name: name, Type: TypeComplex, MultiValued: true, Description: desc,
			SubAttributes: multiValuedSubs(valueType, desc, types...)}
	}
	return &Schema{
		ID:          UserSchema,
		Name:        "User",
		Description: "User Account",
		Attributes: []*Attribute{
			{Name: "userName", Required: true, Uniqueness: UniqueServer,
				Description: "Unique identifier for the User, typically used by the user to directly authenticate to the service provider."},
			{Name: "name", Type: TypeComplex, Description: "The components of the user's real name.",
				SubAttributes: []*Attribute{
					str("formatted", "The full name, including all middle names, titles, and suffixes as appropriate, formatted for display."),
					str("familyName", "The family name of the User, or last name in most Western languages."),
					str("givenName", "The given name of the User, or first name in most Western languages."),
					str("middleName", "The middle name(s) of the User."),
					str("honorificPrefix", "The honorific prefix(es) of the User, or title in most Western languages."),
					str("honorificSuffix", "The honorific suffix(es) of the User, or suffix in most Western languages."),
				}},
			str("displayName", "The name of the User, suitable for display to end-users."),
			str("nickName", "The casual way to address the user in real life."),
			{Name: "profileUrl", Type: TypeReference, ReferenceTypes: []string{"external"}, Description: "A fully qualified URL pointing to a page representing the User's online profile."},
			str("title", "The user's title, such as \"Vice President.\""),
			str("userType", "Used to identify the relationship between the organization and the user."),
			str("preferredLanguage", "Indicates the User's preferred written or spoken language."),
			str("locale", "Used to indicate the User's default location for purposes of localizing items such as currency, date time format, or numerical representations."),
			str("timezone", "The User's time zone in the 'Olson' time zone database format, e.g., 'America/Los_Angeles'."),
			{Name: "active", Type: TypeBoolean, Description: "A Boolean value indicating the User's administrative status."},
			{Name: "password", Mutability: WriteOnly, Returned: ReturnedNever, Description: "The User's cleartext password."},
			mv("emails", "Email addresses for the user.", TypeString, "work", "home", "other"),
			mv("phoneNumbers", "Phone numbers for the User.", TypeString, "work", "home", "mobile", "fax", "pager", "other"),
			mv("ims", "Instant messaging addresses for the User.", TypeString, "aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"),
			mv("photos", "URLs of photos of the User.", TypeReference, "photo", "thumbnail"),
			{Name: "addresses", Type: TypeComplex, MultiValued: true, Description: "A physical mailing address for this User.",
				SubAttributes: []*Attribute{
					str("formatted", "The full mailing address, formatted for display or use with a mailing label."),
					str("streetAddress", "The full street address component."),
					str("locality", "The city or locality component."),
					str("region", "The state or region component."),
					str("postalCode", "The zip code or postal code component."),
					str("country", "The country name component."),
					{Name: "type", Description: "A label indicating the attribute's function.", CanonicalValues: []string{"work", "home", "other"}},
					{Name: "primary", Type: TypeBoolean, Description: "A Boolean value indicating the 'primary' or preferred attribute value for this attribute."},
				}},
			{Name: "groups", Type: TypeComplex, MultiValued: true, Mutability: ReadOnly,
				Description: "A list of groups to which the user belongs, either through direct membership, through nested groups, or dynamically calculated.",
				SubAttributes: []*Attribute{
					{Name: "value", Mutability: ReadOnly, Description: "The identifier of the User's group."},
					{Name: "$ref", Type: TypeReference, ReferenceTypes: []string{"User", "Group"}, Mutability: ReadOnly, Description: "The URI of the corresponding 'Group' resource to which the user belongs."},
					{Name: "display", Mutability: ReadOnly, Description: "A human-readable name, primarily used for display purposes."},
					{Name: "type", Mutability: ReadOnly, CanonicalValues: []string{"direct", "indirect"}, Description: "A label indicating the attribute's function, e.g., 'direct' or 'indirect'."},
				}},
			mv("entitlements", "A list of entitlements for the User that represent a thing the User has.", TypeString),
			mv("roles", "A list of roles for the User that collectively represent who the User is.", TypeString),
			mv("x509Certificates", "A list of certificates issued to the User.", TypeBinary),
		},
	}
}

func newGroupSchema() *Schema {
	return &Schema{
		ID:          GroupSchema,
		Name:        "Group",
		Description: "Group",
		Attributes: []*Attribute{
			{Name: "displayName", Required: true, Description: "A human-readable name for the Group."},
			{Name: "members", Type: TypeComplex, MultiValued: true, Description: "A list of members of the Group.",
				SubAttributes: []*Attribute{
					{Name: "value", Mutability: Immutable, Description: "Identifier of the member of this Group."},
					{Name: "$ref", Type: TypeReference, ReferenceTypes: []string{"User", "Group"}, Mutability: Immutable, Description: "The URI corresponding to a SCIM resource that is a member of this Group."},
					{Name: "display", Mutability: Immutable, Description: "A human-readable name, primarily used for display purposes."},
					{Name: "type", Mutability: Immutable, CanonicalValues: []string{"User", "Group"}, Description: "A label indicating the type of resource, e.g., 'User' or 'Group'."},
				}},
		},
	}
}

func newEnterpriseUserSchema() *Schema {
	return &Schema{
		ID:          EnterpriseUserSchema,
		Name:        "EnterpriseUser",
		Description: "Enterprise User",
		Attributes: []*Attribute{
			str("employeeNumber", "Numeric or alphanumeric identifier assigned to a person, typically based on order of hire or association with an organization."),
			str("costCenter", "Identifies the name of a cost center."),
			str("organization", "Identifies the name of an organization."),
			str("division", "Identifies the name of a division."),
			str("department", "Identifies the name of a department."),
			{Name: "manager", Type: TypeComplex, Description: "The User's manager.",
				SubAttributes: []*Attribute{
					{Name: "value", Description: "The id of the SCIM resource representing the User's manager."},
					{Name: "$ref", Type: TypeReference, ReferenceTypes: []string{"User"}, Description: "The URI of the SCIM resource representing the User's manager."},
					{Name: "displayName", Mutability: ReadOnly, Description: "The displayName of the User's manager."},
				}},
		},
	}
}
