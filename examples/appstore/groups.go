package main

import (
	"context"
	"database/sql"
	"strconv"
	"time"

	"github.com/scimkit/scim"
)

// Groups is the scim.GroupStore over the teams and team_members tables.
// (For teams of thousands, it would also implement scim.MemberPatcher, so
// that adding one member does not read and rewrite the whole team.)
type Groups struct{ table[scim.Group] }

// KeptAttributes declares what the teams table keeps: members are
// accounts, by id.
func (*Groups) KeptAttributes() []string { return []string{"externalId", "members.value"} }

// teamColumns maps the lookups identity providers make to conditions on
// indexed columns.
var teamColumns = map[string]string{
	"id": "id = ?", "displayName": "lower(name) = lower(?)", "externalId": "external_id = ?",
	"members.value": "id IN (SELECT team_id FROM team_members WHERE account_id = ?)",
}

const teamsQuery = "SELECT id, name, external_id, lock_version, created_at, updated_at FROM teams"

func scanGroup(r interface{ Scan(...any) error }) (*scim.Group, error) {
	var g scim.Group
	var ext sql.NullString
	var version string
	err := r.Scan(&g.ID, &g.DisplayName, &ext, &version, &g.Meta.Created, &g.Meta.LastModified)
	g.ExternalID, g.Meta.Version = ext.String, `W/"`+version+`"`
	return &g, err
}

// Replace implements scim.GroupStore.
func (s *Groups) Replace(ctx context.Context, g *scim.Group, ifVersion string) (*scim.Group, error) {
	return s.write(ctx, g.ID, g, ifVersion, false)
}

// members sets the Members of gs.
func (s *Groups) members(ctx context.Context, q querier, gs []*scim.Group) error {
	byID, in := map[string]*scim.Group{}, []string{}
	for _, g := range gs {
		byID[g.ID], in, g.Members = g, append(in, g.ID), []scim.MultiValue{}
	}
	return related(ctx, q, "SELECT team_id, account_id, '' FROM team_members WHERE team_id IN (?) ORDER BY account_id", in,
		func(team, account, _ string) {
			byID[team].Members = append(byID[team].Members, scim.MultiValue{Value: account})
		})
}

// saveRow inserts (id 0) or updates the row of g, and makes its members
// those of g.
func (s *Groups) saveRow(ctx context.Context, tx *sql.Tx, org, id int64, g *scim.Group) (int64, error) {
	var ext any
	if g.ExternalID != "" {
		ext = g.ExternalID
	}
	now := time.Now().UTC()
	var err error
	if id == 0 {
		err = tx.QueryRowContext(ctx, s.q(`INSERT INTO teams (name, external_id, updated_at, created_at, org_id)
			VALUES (?, ?, ?, ?, ?) RETURNING id`), g.DisplayName, ext, now, now, org).Scan(&id)
	} else {
		_, err = tx.ExecContext(ctx, s.q(`UPDATE teams SET name = ?, external_id = ?, updated_at = ?,
			lock_version = lock_version + 1 WHERE id = ?`), g.DisplayName, ext, now, id)
	}
	if err != nil {
		return 0, err
	}
	return id, s.setMembers(ctx, tx, org, id, g.Members)
}

// setMembers makes the accounts ms names the members of team id.
func (s *Groups) setMembers(ctx context.Context, tx *sql.Tx, org, id int64, ms []scim.MultiValue) error {
	keep := "0" // no account has id 0
	for _, m := range ms {
		account, err := s.account(ctx, tx, org, m.Value)
		if err != nil {
			return err
		}
		if _, err = tx.ExecContext(ctx, s.q("INSERT INTO team_members (team_id, account_id) VALUES (?, ?) ON CONFLICT DO NOTHING"), id, account); err != nil {
			return err
		}
		keep += "," + strconv.FormatInt(account, 10)
	}
	_, err := tx.ExecContext(ctx, s.q("DELETE FROM team_members WHERE team_id = ? AND account_id NOT IN ("+keep+")"), id)
	return err
}
