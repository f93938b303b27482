package harness

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/scimkit/scim"
)

// URNs shared by the three servers' documents.
const (
	UserSchemaURN       = "urn:ietf:params:scim:schemas:core:2.0:User"
	GroupSchemaURN      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	EnterpriseURN       = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	ListResponseURN     = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	PatchOpURN          = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	bigGroupDisplayName = "All Employees"
)

// UserSpec is one synthetic user, described independently of any server so
// that every server is seeded with the same data.
type UserSpec struct {
	UserName       string
	ExternalID     string
	GivenName      string
	FamilyName     string
	DisplayName    string
	WorkEmail      string
	HomeEmail      string
	Active         bool
	EmployeeNumber string
	Department     string
	// Manager is the index of the user's manager in the same slice, or -1.
	// It is always lower than the user's own index, so seeding in order can
	// resolve it to the manager's server-assigned id.
	Manager int
}

// GroupSpec is one synthetic group; Members are indexes into the users.
type GroupSpec struct {
	DisplayName string
	ExternalID  string
	Members     []int
}

// Dataset is the data every server is seeded with for one run.
type Dataset struct {
	Users  []UserSpec
	Groups []GroupSpec
}

// BigGroupSize is the membership of the group used by the member-add
// scenario (issue 6: "a 10,000-member group").
const BigGroupSize = 10000

var (
	givenNames  = []string{"Ada", "Alan", "Barbara", "Claude", "Donald", "Edsger", "Frances", "Grace", "Hedy", "Ivan", "Jean", "Ken", "Leslie", "Margaret", "Niklaus", "Radia", "Shafi", "Tim", "Whitfield", "Yukihiro"}
	familyNames = []string{"Lovelace", "Turing", "Liskov", "Shannon", "Knuth", "Dijkstra", "Allen", "Hopper", "Lamarr", "Sutherland", "Sammet", "Thompson", "Lamport", "Hamilton", "Wirth", "Perlman", "Goldwasser", "Berners-Lee", "Diffie", "Matsumoto"}
	departments = []string{"Engineering", "Sales", "Marketing", "Finance", "Legal", "Support", "Operations", "Research"}
)

// MakeUsers returns n deterministic Entra-style users whose userNames start
// with prefix, numbered from first. Managers form a tree with fan-out 10
// inside the batch.
func MakeUsers(n, first int, prefix string) []UserSpec {
	users := make([]UserSpec, n)
	for i := range users {
		k := first + i
		given := givenNames[k%len(givenNames)]
		family := familyNames[(k/len(givenNames))%len(familyNames)]
		local := fmt.Sprintf("%s%s.%s.%07d", prefix, strings.ToLower(given), strings.ToLower(family), k)
		manager := -1
		if i > 0 {
			manager = (i - 1) / 10
		}
		users[i] = UserSpec{
			UserName:       local + "@contoso.example",
			ExternalID:     fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", k*2654435761%(1<<32), k%65536, k%4096, (k/7)%4096, k*40503),
			GivenName:      given,
			FamilyName:     family,
			DisplayName:    given + " " + family,
			WorkEmail:      local + "@contoso.example",
			HomeEmail:      local + "@home.example",
			Active:         true,
			EmployeeNumber: fmt.Sprintf("%07d", k),
			Department:     departments[k%len(departments)],
			Manager:        manager,
		}
	}
	return users
}

// MakeDataset returns nUsers users, one group with min(nUsers,
// BigGroupSize) members, and max(nUsers/100, 2) small groups of 10 members
// each.
func MakeDataset(nUsers int) *Dataset {
	ds := &Dataset{Users: MakeUsers(nUsers, 0, "")}
	big := GroupSpec{DisplayName: bigGroupDisplayName, ExternalID: "group-all"}
	big.Members = make([]int, min(nUsers, BigGroupSize))
	for i := range big.Members {
		big.Members[i] = i
	}
	ds.Groups = append(ds.Groups, big)
	small := max(nUsers/100, 2)
	for g := range small {
		gs := GroupSpec{DisplayName: fmt.Sprintf("Team %05d", g), ExternalID: fmt.Sprintf("group-%05d", g)}
		for k := range 10 {
			gs.Members = append(gs.Members, (g*10+k)%nUsers)
		}
		ds.Groups = append(ds.Groups, gs)
	}
	return ds
}

// Client-side document shapes, in the attribute order Entra ID sends.
type (
	userDoc struct {
		Schemas     []string   `json:"schemas"`
		ID          string     `json:"id,omitempty"`
		ExternalID  string     `json:"externalId,omitempty"`
		UserName    string     `json:"userName"`
		Active      bool       `json:"active"`
		DisplayName string     `json:"displayName,omitempty"`
		Name        nameDoc    `json:"name"`
		Emails      []emailDoc `json:"emails,omitempty"`
		Enterprise  *entDoc    `json:"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User,omitempty"`
		Meta        *metaDoc   `json:"meta,omitempty"`
	}
	nameDoc struct {
		Formatted  string `json:"formatted,omitempty"`
		FamilyName string `json:"familyName,omitempty"`
		GivenName  string `json:"givenName,omitempty"`
	}
	emailDoc struct {
		Primary bool   `json:"primary,omitempty"`
		Type    string `json:"type,omitempty"`
		Value   string `json:"value"`
	}
	entDoc struct {
		EmployeeNumber string      `json:"employeeNumber,omitempty"`
		Department     string      `json:"department,omitempty"`
		Manager        *managerDoc `json:"manager,omitempty"`
	}
	managerDoc struct {
		Value string `json:"value"`
	}
	groupDoc struct {
		Schemas     []string    `json:"schemas"`
		ID          string      `json:"id,omitempty"`
		ExternalID  string      `json:"externalId,omitempty"`
		DisplayName string      `json:"displayName"`
		Members     []memberDoc `json:"members,omitempty"`
		Meta        *metaDoc    `json:"meta,omitempty"`
	}
	memberDoc struct {
		Value string `json:"value"`
	}
	metaDoc struct {
		ResourceType string `json:"resourceType"`
		Created      string `json:"created"`
		LastModified string `json:"lastModified"`
		Version      string `json:"version"`
		Location     string `json:"location,omitempty"`
	}
)

func (u *UserSpec) doc(managerID string) *userDoc {
	d := &userDoc{
		Schemas:     []string{UserSchemaURN, EnterpriseURN},
		ExternalID:  u.ExternalID,
		UserName:    u.UserName,
		Active:      u.Active,
		DisplayName: u.DisplayName,
		Name:        nameDoc{Formatted: u.DisplayName, FamilyName: u.FamilyName, GivenName: u.GivenName},
		Emails: []emailDoc{
			{Primary: true, Type: "work", Value: u.WorkEmail},
			{Type: "home", Value: u.HomeEmail},
		},
		Enterprise: &entDoc{EmployeeNumber: u.EmployeeNumber, Department: u.Department},
	}
	if managerID != "" {
		d.Enterprise.Manager = &managerDoc{Value: managerID}
	}
	return d
}

// CreateBody returns the JSON body of an Entra ID "POST /Users" for u.
func (u *UserSpec) CreateBody(managerID string) []byte {
	b, err := json.Marshal(u.doc(managerID))
	if err != nil {
		panic(err) // a fixed struct of strings always marshals
	}
	return b
}

func (g *GroupSpec) doc(memberIDs []string) *groupDoc {
	d := &groupDoc{Schemas: []string{GroupSchemaURN}, ExternalID: g.ExternalID, DisplayName: g.DisplayName}
	for _, id := range memberIDs {
		d.Members = append(d.Members, memberDoc{Value: id})
	}
	return d
}

// newID returns a random UUID-shaped id, as the non-scimkit servers'
// adopters would assign with a UUID library.
func newID() string { return scim.NewID() }
