package main

import (
	"context"
	"database/sql"
	"time"
)

// The application's reactions to what the identity provider changes. The
// stores call them inside the transaction of the change, so that a
// reaction happens if and only if its change commits: a deactivated
// account's sessions end at once, and every membership change leaves an
// audit row.

// activeChanged reacts to an account's deactivation (it ends the
// account's sessions and records when) and reactivation.
func activeChanged(ctx context.Context, tx *sql.Tx, s *DB, account int64, active bool) error {
	var deactivatedAt any
	action := "account.reactivated"
	if !active {
		deactivatedAt, action = time.Now().UTC(), "account.deactivated"
		if _, err := tx.ExecContext(ctx, s.q("DELETE FROM sessions WHERE account_id = ?"), account); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, s.q("UPDATE accounts SET deactivated_at = ? WHERE id = ?"), deactivatedAt, account); err != nil {
		return err
	}
	return audit(ctx, tx, s, action, account, 0)
}

// membersChanged records the accounts added to and removed from a team.
func membersChanged(ctx context.Context, tx *sql.Tx, s *DB, team int64, added, removed []int64) error {
	for _, a := range added {
		if err := audit(ctx, tx, s, "team.member_added", a, team); err != nil {
			return err
		}
	}
	for _, a := range removed {
		if err := audit(ctx, tx, s, "team.member_removed", a, team); err != nil {
			return err
		}
	}
	return nil
}

// accountDeleted records that a deleted account left its teams.
func accountDeleted(ctx context.Context, tx *sql.Tx, s *DB, account int64) error {
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO audit_log (at, action, account_id, team_id)
		SELECT ?, 'team.member_removed', account_id, team_id FROM team_members WHERE account_id = ?`), time.Now().UTC(), account)
	if err == nil {
		err = audit(ctx, tx, s, "account.deleted", account, 0)
	}
	return err
}

// teamDeleted records that a deleted team's members left it.
func teamDeleted(ctx context.Context, tx *sql.Tx, s *DB, team int64) error {
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO audit_log (at, action, account_id, team_id)
		SELECT ?, 'team.member_removed', account_id, team_id FROM team_members WHERE team_id = ?`), time.Now().UTC(), team)
	return err
}

func audit(ctx context.Context, tx *sql.Tx, s *DB, action string, account, team int64) error {
	var teamID any
	if team != 0 {
		teamID = team
	}
	_, err := tx.ExecContext(ctx, s.q("INSERT INTO audit_log (at, action, account_id, team_id) VALUES (?, ?, ?, ?)"),
		time.Now().UTC(), action, account, teamID)
	return err
}
