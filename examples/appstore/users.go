package main

import (
	"context"
	"database/sql"
	"time"

	"github.com/scimkit/scim"
)

// Users is the scim.UserStore over the accounts table.
type Users struct{ table[scim.User] }

// KeptAttributes declares what the accounts table keeps: the handler
// advertises, accepts and hands the store nothing else.
func (*Users) KeptAttributes() []string {
	return []string{"externalId", "name.givenName", "name.familyName", `emails[type eq "work"].value`, "active",
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value", "groups"}
}

// userColumns maps the lookups identity providers make to conditions on
// indexed columns; userName and emails compare case-insensitively.
var userColumns = map[string]string{
	"id": "id = ?", "userName": "lower(email) = lower(?)", "externalId": "external_id = ?",
	`emails[type eq "work"].value`: "lower(contact_email) = lower(?)",
}

const accountsQuery = `SELECT id, email, first_name, last_name, is_active, contact_email, external_id, manager_id,
	lock_version, created_at, updated_at FROM accounts`

func scanUser(r interface{ Scan(...any) error }) (*scim.User, error) {
	u := scim.User{Active: new(bool)}
	var first, last, contact, id, version string
	var ext, manager sql.NullString
	err := r.Scan(&id, &u.UserName, &first, &last, u.Active, &contact, &ext, &manager, &version, &u.Meta.Created, &u.Meta.LastModified)
	u.ID, u.ExternalID, u.Meta.Version = id, ext.String, `W/"`+version+`"`
	if first != "" || last != "" {
		u.Name = &scim.Name{GivenName: first, FamilyName: last}
	}
	if contact != "" {
		u.Emails = []scim.MultiValue{{Value: contact, Type: "work"}}
	}
	if manager.Valid {
		u.Enterprise = &scim.EnterpriseUser{Manager: &scim.Manager{Value: manager.String}}
	}
	return &u, err
}

// Replace implements scim.UserStore.
func (s *Users) Replace(ctx context.Context, u *scim.User, ifVersion string) (*scim.User, error) {
	return s.write(ctx, u.ID, u, ifVersion, false)
}

// groups sets the Groups of us: the teams they are members of.
func (s *Users) groups(ctx context.Context, q querier, us []*scim.User) error {
	byID, in := map[string]*scim.User{}, []string{}
	for _, u := range us {
		byID[u.ID], in = u, append(in, u.ID)
	}
	return related(ctx, q, `SELECT m.account_id, t.id, t.name FROM team_members m JOIN teams t ON t.id = m.team_id
		WHERE m.account_id IN (?) ORDER BY t.id`, in, func(account, team, name string) {
		byID[account].Groups = append(byID[account].Groups, scim.MultiValue{Value: team, Display: name, Type: "direct"})
	})
}

// saveRow inserts (id 0) or updates the row of u.
func (s *Users) saveRow(ctx context.Context, tx *sql.Tx, org, id int64, u *scim.User) (int64, error) {
	var first, last, contact string
	var manager, ext any
	if u.Name != nil {
		first, last = u.Name.GivenName, u.Name.FamilyName
	}
	if len(u.Emails) > 0 {
		contact = u.Emails[0].Value
	}
	if e := u.Enterprise; e != nil && e.Manager != nil && e.Manager.Value != "" {
		m, err := s.account(ctx, tx, org, e.Manager.Value)
		if err != nil {
			return 0, err
		}
		manager = m
	}
	if u.ExternalID != "" {
		ext = u.ExternalID
	}
	active, now := u.Active == nil || *u.Active, time.Now().UTC()
	args := []any{u.UserName, first, last, active, contact, ext, manager, now}
	if id == 0 {
		err := tx.QueryRowContext(ctx, s.q(`INSERT INTO accounts (email, first_name, last_name, is_active, contact_email,
			external_id, manager_id, updated_at, created_at, org_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			append(args, now, org)...).Scan(&id)
		return id, err
	}
	_, err := tx.ExecContext(ctx, s.q(`UPDATE accounts SET email = ?, first_name = ?, last_name = ?, is_active = ?, contact_email = ?,
		external_id = ?, manager_id = ?, updated_at = ?, lock_version = lock_version + 1 WHERE id = ?`), append(args, id)...)
	return id, err
}

// onDelete runs before an account is deleted: the database takes it out
// of its teams (ON DELETE CASCADE), so their versions change.
func (s *Users) onDelete(ctx context.Context, tx *sql.Tx, id int64) error {
	_, err := tx.ExecContext(ctx, s.q(`UPDATE teams SET lock_version = lock_version + 1, updated_at = ?
		WHERE id IN (SELECT team_id FROM team_members WHERE account_id = ?)`), time.Now().UTC(), id)
	return err
}
