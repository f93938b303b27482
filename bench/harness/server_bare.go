package harness

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// bareServer is the floor: a plain net/http handler with no SCIM logic that
// serves the same JSON documents from maps of bytes. It does only what the
// benchmark's requests need, so its throughput bounds what any SCIM server
// can reach with encoding/json and net/http on this machine.
type bareServer struct {
	mu         sync.RWMutex
	users      map[string][]byte // id → complete user document
	userOrder  []string          // ids in creation order, for paging
	byUserName map[string]string // lower-cased userName → id
	groups     map[string]*bareGroup
	byGroup    map[string]string // displayName → id
	handler    http.Handler
}

// bareGroup keeps a group's document in two parts so that adding a member
// appends bytes instead of re-encoding a document with 10,000 members: head
// is the complete document without "members" (which is also the answer
// with excludedAttributes=members), members the comma-separated member
// objects. Both are append-only once published, so readers may keep old
// slice headers after releasing the lock.
type bareGroup struct {
	head    []byte
	members []byte
}

func newBareServer(token string) *bareServer {
	s := &bareServer{
		users:      make(map[string][]byte),
		byUserName: make(map[string]string),
		groups:     make(map[string]*bareGroup),
		byGroup:    make(map[string]string),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+BasePath+"/Users/{id}", s.getUser)
	mux.HandleFunc("GET "+BasePath+"/Users", s.listUsers)
	mux.HandleFunc("POST "+BasePath+"/Users", s.postUser)
	mux.HandleFunc("PATCH "+BasePath+"/Users/{id}", s.patchUser)
	mux.HandleFunc("GET "+BasePath+"/Groups", s.listGroups)
	mux.HandleFunc("PATCH "+BasePath+"/Groups/{id}", s.patchGroup)
	s.handler = requireBearer(token, mux)
	return s
}

func (s *bareServer) Handler() http.Handler { return s.handler }

func nowMeta(resourceType, id string) *metaDoc {
	now := time.Now().UTC().Format(time.RFC3339)
	return &metaDoc{ResourceType: resourceType, Created: now, LastModified: now, Version: `W/"1"`, Location: BasePath + "/" + resourceType + "s/" + id}
}

func (s *bareServer) CreateUser(u *UserSpec, managerID string) (string, error) {
	d := u.doc(managerID)
	d.ID = newID()
	d.Meta = nowMeta("User", d.ID)
	b, err := json.Marshal(d)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(u.UserName)
	if _, dup := s.byUserName[key]; dup {
		return "", fmt.Errorf("userName %q exists", u.UserName)
	}
	s.storeUserLocked(d.ID, key, b)
	return d.ID, nil
}

func (s *bareServer) storeUserLocked(id, userNameKey string, doc []byte) {
	s.users[id] = doc
	s.userOrder = append(s.userOrder, id)
	s.byUserName[userNameKey] = id
}

func (s *bareServer) CreateGroup(g *GroupSpec, memberIDs []string) (string, error) {
	d := g.doc(nil)
	d.ID = newID()
	d.Meta = nowMeta("Group", d.ID)
	head, err := json.Marshal(d)
	if err != nil {
		return "", err
	}
	bg := &bareGroup{head: head}
	s.mu.Lock()
	s.groups[d.ID] = bg
	s.byGroup[g.DisplayName] = d.ID
	s.mu.Unlock()
	return d.ID, s.AddMembers(d.ID, memberIDs)
}

func (s *bareServer) AddMembers(groupID string, memberIDs []string) error {
	var add []byte
	for _, id := range memberIDs {
		add = appendMember(add, id)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.groups[groupID]
	if !ok {
		return fmt.Errorf("no group %s", groupID)
	}
	g.appendMembers(add)
	return nil
}

// appendMember appends `,{"value":"id"}` (without the comma for the first
// member of a batch).
func appendMember(b []byte, id string) []byte {
	if len(b) > 0 {
		b = append(b, ',')
	}
	b = append(b, `{"value":`...)
	b = strconv.AppendQuote(b, id)
	return append(b, '}')
}

func (g *bareGroup) appendMembers(add []byte) {
	if len(add) == 0 {
		return
	}
	if len(g.members) > 0 {
		g.members = append(g.members, ',')
	}
	g.members = append(g.members, add...)
}

func writeSCIMError(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]any{
		"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:Error"},
		"status":  strconv.Itoa(status),
		"detail":  detail,
	})
	_, _ = w.Write(b)
}

func writeDoc(w http.ResponseWriter, status int, doc []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/scim+json")
	h.Set("Content-Length", strconv.Itoa(len(doc)))
	w.WriteHeader(status)
	_, _ = w.Write(doc)
}

func (s *bareServer) getUser(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	doc, ok := s.users[r.PathValue("id")]
	s.mu.RUnlock()
	if !ok {
		writeSCIMError(w, http.StatusNotFound, "no such user")
		return
	}
	writeDoc(w, http.StatusOK, doc)
}

// parseEq parses the one filter shape the bare server understands,
// `attr eq "value"`, for the attribute attr.
func parseEq(filter, attr string) (string, bool) {
	a, v, ok := strings.Cut(filter, " eq ")
	if !ok || !strings.EqualFold(strings.TrimSpace(a), attr) {
		return "", false
	}
	v, err := strconv.Unquote(strings.TrimSpace(v))
	return v, err == nil
}

func queryInt(q string, def int) (int, bool) {
	if q == "" {
		return def, true
	}
	n, err := strconv.Atoi(q)
	return n, err == nil
}

func (s *bareServer) listUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var docs [][]byte
	total := 0
	startIndex, ok1 := queryInt(q.Get("startIndex"), 1)
	count, ok2 := queryInt(q.Get("count"), 100)
	if !ok1 || !ok2 {
		writeSCIMError(w, http.StatusBadRequest, "bad startIndex or count")
		return
	}
	startIndex, count = max(startIndex, 1), min(max(count, 0), 1000)
	if f := q.Get("filter"); f != "" {
		userName, ok := parseEq(f, "userName")
		if !ok {
			writeSCIMError(w, http.StatusBadRequest, "unsupported filter")
			return
		}
		s.mu.RLock()
		if id, ok := s.byUserName[strings.ToLower(userName)]; ok {
			docs = [][]byte{s.users[id]}
		}
		s.mu.RUnlock()
		total = len(docs)
		if startIndex > 1 || count == 0 {
			docs = nil
		}
	} else {
		s.mu.RLock()
		total = len(s.userOrder)
		if from := startIndex - 1; from < total {
			ids := s.userOrder[from:min(from+count, total)]
			docs = make([][]byte, len(ids))
			for i, id := range ids {
				docs[i] = s.users[id]
			}
		}
		s.mu.RUnlock()
	}
	writeList(w, total, startIndex, docs)
}

func writeList(w http.ResponseWriter, total, startIndex int, docs [][]byte) {
	buf := make([]byte, 0, 128)
	buf = append(buf, `{"schemas":["`+ListResponseURN+`"],"totalResults":`...)
	buf = strconv.AppendInt(buf, int64(total), 10)
	buf = append(buf, `,"itemsPerPage":`...)
	buf = strconv.AppendInt(buf, int64(len(docs)), 10)
	buf = append(buf, `,"startIndex":`...)
	buf = strconv.AppendInt(buf, int64(startIndex), 10)
	buf = append(buf, `,"Resources":[`...)
	w.Header().Set("Content-Type", "application/scim+json")
	_, _ = w.Write(buf)
	for i, d := range docs {
		if i > 0 {
			_, _ = w.Write([]byte{','})
		}
		_, _ = w.Write(d)
	}
	_, _ = w.Write([]byte("]}"))
}

func (s *bareServer) postUser(w http.ResponseWriter, r *http.Request) {
	var doc map[string]any
	if err := json.NewDecoder(r.Body).Decode(&doc); err != nil {
		writeSCIMError(w, http.StatusBadRequest, "invalid JSON")
		return
	}
	userName, _ := doc["userName"].(string)
	if userName == "" {
		writeSCIMError(w, http.StatusBadRequest, "userName is required")
		return
	}
	id := newID()
	doc["id"] = id
	doc["meta"] = nowMeta("User", id)
	b, err := json.Marshal(doc)
	if err != nil {
		writeSCIMError(w, http.StatusInternalServerError, "encoding failed")
		return
	}
	key := strings.ToLower(userName)
	s.mu.Lock()
	if _, dup := s.byUserName[key]; dup {
		s.mu.Unlock()
		writeSCIMError(w, http.StatusConflict, "userName exists")
		return
	}
	s.storeUserLocked(id, key, b)
	s.mu.Unlock()
	w.Header().Set("Location", BasePath+"/Users/"+id)
	writeDoc(w, http.StatusCreated, b)
}

// patchBody is the part of a PatchOp message the bare server reads.
type patchBody struct {
	Operations []struct {
		Op    string `json:"op"`
		Path  string `json:"path"`
		Value any    `json:"value"`
	} `json:"Operations"`
}

func (s *bareServer) patchUser(w http.ResponseWriter, r *http.Request) {
	var p patchBody
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
		writeSCIMError(w, http.StatusBadRequest, "invalid JSON")
		return
	}
	id := r.PathValue("id")
	// Read-modify-write under the write lock, so concurrent PATCHes of the
	// same user do not lose updates.
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.users[id]
	if !ok {
		writeSCIMError(w, http.StatusNotFound, "no such user")
		return
	}
	var doc map[string]any
	if err := json.Unmarshal(old, &doc); err != nil {
		writeSCIMError(w, http.StatusInternalServerError, "stored document is corrupt")
		return
	}
	for _, op := range p.Operations {
		if op.Path == "" || strings.EqualFold(op.Op, "remove") {
			writeSCIMError(w, http.StatusBadRequest, "unsupported operation")
			return
		}
		v := op.Value
		// Entra ID sends "False"; the one coercion the floor needs to store
		// a boolean.
		if sv, isString := v.(string); isString && op.Path == "active" {
			if bv, err := strconv.ParseBool(strings.ToLower(sv)); err == nil {
				v = bv
			}
		}
		doc[op.Path] = v
	}
	b, err := json.Marshal(doc)
	if err != nil {
		writeSCIMError(w, http.StatusInternalServerError, "encoding failed")
		return
	}
	s.users[id] = b
	writeDoc(w, http.StatusOK, b)
}

func (s *bareServer) listGroups(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	displayName, ok := parseEq(q.Get("filter"), "displayName")
	if !ok {
		writeSCIMError(w, http.StatusBadRequest, "unsupported filter")
		return
	}
	excludeMembers := strings.EqualFold(q.Get("excludedAttributes"), "members")
	var docs [][]byte
	s.mu.RLock()
	if g, ok := s.groups[s.byGroup[displayName]]; ok {
		if excludeMembers {
			docs = [][]byte{g.head}
		} else {
			docs = [][]byte{g.head[:len(g.head)-1], []byte(`,"members":[`), g.members, []byte("]}")}
		}
	}
	s.mu.RUnlock()
	total := min(len(docs), 1)
	if excludeMembers || len(docs) == 0 {
		writeList(w, total, 1, docs)
		return
	}
	writeList(w, total, 1, [][]byte{joinBytes(docs)})
}

func joinBytes(parts [][]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	b := make([]byte, 0, n)
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func (s *bareServer) patchGroup(w http.ResponseWriter, r *http.Request) {
	var p patchBody
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
		writeSCIMError(w, http.StatusBadRequest, "invalid JSON")
		return
	}
	var add []byte
	for _, op := range p.Operations {
		values, isList := op.Value.([]any)
		if !strings.EqualFold(op.Op, "add") || op.Path != "members" || !isList {
			writeSCIMError(w, http.StatusBadRequest, "unsupported operation")
			return
		}
		for _, v := range values {
			m, _ := v.(map[string]any)
			id, _ := m["value"].(string)
			if id == "" {
				writeSCIMError(w, http.StatusBadRequest, "member without value")
				return
			}
			add = appendMember(add, id)
		}
	}
	s.mu.Lock()
	g, ok := s.groups[r.PathValue("id")]
	if ok {
		g.appendMembers(add)
	}
	s.mu.Unlock()
	if !ok {
		writeSCIMError(w, http.StatusNotFound, "no such group")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
