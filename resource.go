package scim

import (
	"time"
)

// User is a SCIM User resource (RFC 7643 §4.1) with the Enterprise User
// extension (§4.3) and any extensions the application registered.
//
// String attributes that are empty are unassigned and are not sent. Groups is
// read-only: a store derives it from group membership.
type User struct {
	ID                string
	ExternalID        string
	UserName          string
	Name              *Name
	DisplayName       string
	NickName          string
	ProfileURL        string
	Title             string
	UserType          string
	PreferredLanguage string
	Locale            string
	Timezone          string
	// Active is nil when unassigned; false is kept and sent as false.
	Active *bool
	// Password is write-only: it is stored but never returned to a client.
	Password         string
	Emails           []MultiValue
	PhoneNumbers     []MultiValue
	IMs              []MultiValue
	Photos           []MultiValue
	Addresses        []Address
	Groups           []MultiValue
	Entitlements     []MultiValue
	Roles            []MultiValue
	X509Certificates []MultiValue
	// Enterprise holds the Enterprise User extension, or nil.
	Enterprise *EnterpriseUser
	// Extensions holds the attributes of other registered extension schemas.
	Extensions Extensions
	Meta       Meta
}

// Group is a SCIM Group resource (RFC 7643 §4.2).
type Group struct {
	ID          string
	ExternalID  string
	DisplayName string
	// Members lists the group's members. A store may leave it nil when the
	// caller asked it to skip membership (see [ReadOptions]).
	Members    []MultiValue
	Extensions Extensions
	Meta       Meta
}

// Name is the complex "name" attribute of a User.
type Name struct {
	Formatted       string
	FamilyName      string
	GivenName       string
	MiddleName      string
	HonorificPrefix string
	HonorificSuffix string
}

// MultiValue is one value of a multi-valued complex attribute: an email,
// phone number, instant messaging address, photo, entitlement, role or
// certificate of a User, a group a User belongs to, or a member of a Group.
// Ref holds "$ref", used by group memberships only.
type MultiValue struct {
	Value   string
	Display string
	Type    string
	Primary bool
	Ref     string
}

// Address is one value of a User's "addresses" attribute.
type Address struct {
	Formatted     string
	StreetAddress string
	Locality      string
	Region        string
	PostalCode    string
	Country       string
	Type          string
	Primary       bool
}

// EnterpriseUser is the Enterprise User extension (RFC 7643 §4.3).
type EnterpriseUser struct {
	EmployeeNumber string
	CostCenter     string
	Organization   string
	Division       string
	Department     string
	Manager        *Manager
}

// Manager is the "manager" attribute of the Enterprise User extension.
type Manager struct {
	Value       string
	Ref         string
	DisplayName string
}

// Extensions maps the URN of an extension schema to the extension's
// attributes, keyed by their canonical names as the schema defines them.
// Values are as decoded from JSON: string, bool, json.Number,
// map[string]any and []any.
type Extensions map[string]map[string]any

// Meta is the "meta" attribute of a resource (RFC 7643 §3.1). Stores set
// Created, LastModified and Version; the handler sets ResourceType and
// Location.
type Meta struct {
	ResourceType string
	Created      time.Time
	LastModified time.Time
	Location     string
	// Version is the resource's weak entity tag, such as W/"3". A store sets
	// a new one on every write.
	Version string
}

// The document form of a resource, used by the PATCH engine and input
// validation, is a map[string]any with canonical attribute names as keys;
// extension attributes nest under the canonical extension URN. Values are
// string, bool, json.Number, map[string]any and []any; an unassigned
// attribute has no key (never a nil value). It holds "id" and "externalId",
// never "meta", "schemas" or the read-only "groups".

func metaOf[R Resource](r *R) *Meta {
	switch x := any(r).(type) {
	case *User:
		return &x.Meta
	case *Group:
		return &x.Meta
	}
	return nil
}

func idOf[R Resource](r *R) string {
	switch x := any(r).(type) {
	case *User:
		return x.ID
	case *Group:
		return x.ID
	}
	return ""
}

func setID[R Resource](r *R, id string) {
	switch x := any(r).(type) {
	case *User:
		x.ID = id
	case *Group:
		x.ID = id
	}
}
