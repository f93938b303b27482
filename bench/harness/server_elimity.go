package harness

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"
	"github.com/scim2/filter-parser/v2"
)

// The elimity server is github.com/elimity-com/scim's Server with the
// in-memory ResourceHandler that an adopter writes by following its README
// and its resource_handler_test.go example: a map of scim.Resource behind a
// mutex. The library validates requests and parses filters and PATCH
// operations; everything else (evaluating the filter with the library's own
// PassesFilter, paging, applying PATCH operations, honouring
// excludedAttributes, which the library ignores on GET) is the adopter's.

var elimityStringValues sync.Once

func newElimityServer(token string) (Server, error) {
	// Entra ID sends "False" for active; elimity accepts it only behind this
	// process-wide switch, which its README documents and adopters set.
	elimityStringValues.Do(func() { schema.SetAllowStringValues(true) })

	s := &elimityServer{
		users:  newElimityStore(true),
		groups: newElimityStore(false),
	}
	s.userType = scim.ResourceType{
		ID:               optional.NewString("User"),
		Name:             "User",
		Endpoint:         "/Users",
		Description:      optional.NewString("User Account"),
		Schema:           schema.CoreUserSchema(),
		SchemaExtensions: []scim.SchemaExtension{{Schema: schema.ExtensionEnterpriseUser()}},
		Handler:          s.users,
	}
	s.groupType = scim.ResourceType{
		ID:          optional.NewString("Group"),
		Name:        "Group",
		Endpoint:    "/Groups",
		Description: optional.NewString("Group"),
		Schema:      schema.CoreGroupSchema(),
		Handler:     s.groups,
	}
	srv, err := scim.NewServer(&scim.ServerArgs{
		ServiceProviderConfig: &scim.ServiceProviderConfig{SupportFiltering: true, SupportPatch: true},
		ResourceTypes:         []scim.ResourceType{s.userType, s.groupType},
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	// elimity strips a leading "/v2" itself, so only "/scim" is removed.
	mux.Handle("/scim/", http.StripPrefix("/scim", srv))
	s.handler = requireBearer(token, mux)
	return s, nil
}

type elimityServer struct {
	users, groups       *elimityStore
	userType, groupType scim.ResourceType
	handler             http.Handler
}

func (s *elimityServer) Handler() http.Handler { return s.handler }

// validate runs a document through the same schema validation the library
// applies to a POST body, so seeded resources have the shape the handler
// would have received over HTTP.
func elimityValidate(t scim.ResourceType, doc any) (scim.ResourceAttributes, error) {
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	withCommon := t.Schema
	withCommon.Attributes = append(append([]schema.CoreAttribute(nil), t.Schema.Attributes...),
		schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{
			CaseExact: true,
			Name:      schema.CommonAttributeExternalID,
		})))
	attrs, scimErr := withCommon.Validate(m)
	if scimErr != nil {
		return nil, scimErr
	}
	for _, ext := range t.SchemaExtensions {
		if v, ok := m[ext.Schema.ID]; ok {
			ea, scimErr := ext.Schema.ValidateExtension(v)
			if scimErr != nil {
				return nil, scimErr
			}
			attrs[ext.Schema.ID] = ea
		}
	}
	return attrs, nil
}

func (s *elimityServer) CreateUser(u *UserSpec, managerID string) (string, error) {
	attrs, err := elimityValidate(s.userType, u.doc(managerID))
	if err != nil {
		return "", err
	}
	res, err := s.users.create(attrs)
	return res.ID, err
}

func (s *elimityServer) CreateGroup(g *GroupSpec, memberIDs []string) (string, error) {
	attrs, err := elimityValidate(s.groupType, g.doc(memberIDs))
	if err != nil {
		return "", err
	}
	res, err := s.groups.create(attrs)
	return res.ID, err
}

func (s *elimityServer) AddMembers(groupID string, memberIDs []string) error {
	values := make([]any, len(memberIDs))
	for i, id := range memberIDs {
		values[i] = map[string]any{"value": id}
	}
	_, err := s.groups.patch(groupID, []scim.PatchOperation{{
		Op:    scim.PatchOperationAdd,
		Path:  mustPath("members"),
		Value: values,
	}})
	return err
}

// elimityStore is the adopter's ResourceHandler.
type elimityStore struct {
	mu        sync.RWMutex
	data      map[string]scim.Resource
	order     []string          // ids in creation order, for stable paging
	userNames map[string]string // lower-cased userName → id, for uniqueness
	users     bool
}

func newElimityStore(users bool) *elimityStore {
	return &elimityStore{data: make(map[string]scim.Resource), userNames: make(map[string]string), users: users}
}

func externalID(attrs scim.ResourceAttributes) optional.String {
	if v, ok := attrs["externalId"].(string); ok {
		return optional.NewString(v)
	}
	return optional.String{}
}

func (h *elimityStore) create(attrs scim.ResourceAttributes) (scim.Resource, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var key string
	if h.users {
		name, _ := attrs["userName"].(string)
		key = strings.ToLower(name)
		if _, dup := h.userNames[key]; dup {
			return scim.Resource{}, scimerrors.ScimErrorUniqueness
		}
	}
	now := time.Now()
	res := scim.Resource{
		ID:         newID(),
		ExternalID: externalID(attrs),
		Attributes: attrs,
		Meta:       scim.Meta{Created: &now, LastModified: &now, Version: `W/"1"`},
	}
	h.data[res.ID] = res
	h.order = append(h.order, res.ID)
	if h.users {
		h.userNames[key] = res.ID
	}
	return res, nil
}

// Create implements scim.ResourceHandler.
func (h *elimityStore) Create(_ *http.Request, attrs scim.ResourceAttributes) (scim.Resource, error) {
	return h.create(attrs)
}

// Get implements scim.ResourceHandler.
func (h *elimityStore) Get(_ *http.Request, id string) (scim.Resource, error) {
	h.mu.RLock()
	res, ok := h.data[id]
	h.mu.RUnlock()
	if !ok {
		return scim.Resource{}, scimerrors.ScimErrorResourceNotFound(id)
	}
	return res, nil
}

// GetAll implements scim.ResourceHandler: the library's filter evaluator on
// every resource, then a slice for startIndex and count.
func (h *elimityStore) GetAll(r *http.Request, params scim.ListRequestParams) (scim.Page, error) {
	page := h.list(params)
	// The library does not apply excludedAttributes on GET; Entra ID needs
	// members left out of group queries.
	if excludes(r.URL.Query().Get("excludedAttributes"), "members") {
		for i, res := range page.Resources {
			attrs := maps.Clone(res.Attributes)
			delete(attrs, "members")
			page.Resources[i].Attributes = attrs
		}
	}
	return page, nil
}

func (h *elimityStore) list(params scim.ListRequestParams) scim.Page {
	h.mu.RLock()
	defer h.mu.RUnlock()
	page := scim.Page{Resources: []scim.Resource{}}
	if params.FilterValidator == nil {
		page.TotalResults = len(h.order)
		if from := params.StartIndex - 1; from < len(h.order) {
			for _, id := range h.order[from:min(from+params.Count, len(h.order))] {
				page.Resources = append(page.Resources, h.data[id])
			}
		}
		return page
	}
	var matches []scim.Resource
	for _, id := range h.order {
		res := h.data[id]
		if params.FilterValidator.PassesFilter(res.Attributes) == nil {
			matches = append(matches, res)
		}
	}
	page.TotalResults = len(matches)
	if from := params.StartIndex - 1; from < len(matches) {
		page.Resources = matches[from:min(from+params.Count, len(matches))]
	}
	return page
}

func mustPath(p string) *filter.Path {
	path, err := filter.ParsePath([]byte(p))
	if err != nil {
		panic(err)
	}
	return &path
}

func excludes(list, attr string) bool {
	for a := range strings.SplitSeq(list, ",") {
		if strings.EqualFold(strings.TrimSpace(a), attr) {
			return true
		}
	}
	return false
}

// Replace implements scim.ResourceHandler.
func (h *elimityStore) Replace(_ *http.Request, id string, attrs scim.ResourceAttributes) (scim.Resource, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	old, ok := h.data[id]
	if !ok {
		return scim.Resource{}, scimerrors.ScimErrorResourceNotFound(id)
	}
	now := time.Now()
	res := scim.Resource{ID: id, ExternalID: externalID(attrs), Attributes: attrs,
		Meta: scim.Meta{Created: old.Meta.Created, LastModified: &now, Version: nextVersion(old.Meta.Version)}}
	h.data[id] = res
	return res, nil
}

// Delete implements scim.ResourceHandler.
func (h *elimityStore) Delete(_ *http.Request, id string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.data[id]; !ok {
		return scimerrors.ScimErrorResourceNotFound(id)
	}
	delete(h.data, id)
	for i, o := range h.order {
		if o == id {
			h.order = append(h.order[:i], h.order[i+1:]...)
			break
		}
	}
	return nil
}

// Patch implements scim.ResourceHandler. It answers group PATCHes with an
// empty resource, which the library turns into 204 No Content, as Entra ID
// prefers for membership changes.
func (h *elimityStore) Patch(_ *http.Request, id string, ops []scim.PatchOperation) (scim.Resource, error) {
	res, err := h.patch(id, ops)
	if err != nil || !h.users {
		return scim.Resource{}, err
	}
	return res, nil
}

func (h *elimityStore) patch(id string, ops []scim.PatchOperation) (scim.Resource, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	old, ok := h.data[id]
	if !ok {
		return scim.Resource{}, scimerrors.ScimErrorResourceNotFound(id)
	}
	// Copy on write: the library encodes resources it got from Get after
	// the lock is released.
	attrs := maps.Clone(old.Attributes)
	for _, op := range ops {
		if err := applyElimityOp(attrs, op); err != nil {
			return scim.Resource{}, err
		}
	}
	now := time.Now()
	res := scim.Resource{ID: id, ExternalID: externalID(attrs), Attributes: attrs,
		Meta: scim.Meta{Created: old.Meta.Created, LastModified: &now, Version: nextVersion(old.Meta.Version)}}
	h.data[id] = res
	return res, nil
}

// applyElimityOp applies one validated operation the way the library's own
// example handler does: attribute paths and path-less value maps, with
// multi-valued adds appended. Value filters and sub-attribute paths are
// not needed by the benchmark and are refused.
func applyElimityOp(attrs scim.ResourceAttributes, op scim.PatchOperation) error {
	if op.Path == nil {
		values, ok := op.Value.(map[string]any)
		if !ok {
			return scimerrors.ScimErrorInvalidValue
		}
		for k, v := range values {
			setOrAppend(attrs, k, v, op.Op == scim.PatchOperationAdd)
		}
		return nil
	}
	if op.Path.ValueExpression != nil || op.Path.SubAttribute != nil || op.Path.AttributePath.SubAttribute != nil {
		return scimerrors.ScimErrorBadRequest("unsupported PATCH path " + op.Path.String())
	}
	name := op.Path.AttributePath.AttributeName
	switch op.Op {
	case scim.PatchOperationRemove:
		delete(attrs, name)
	default:
		setOrAppend(attrs, name, op.Value, op.Op == scim.PatchOperationAdd)
	}
	return nil
}

func setOrAppend(attrs scim.ResourceAttributes, name string, v any, add bool) {
	if existing, ok := attrs[name].([]any); ok && add {
		if vs, ok := v.([]any); ok {
			attrs[name] = append(existing, vs...)
		} else {
			attrs[name] = append(existing, v)
		}
		return
	}
	attrs[name] = v
}

func nextVersion(v string) string {
	n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(v, `W/"`), `"`))
	return fmt.Sprintf(`W/"%d"`, n+1)
}
