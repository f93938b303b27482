package main

import (
	"context"
	"database/sql"
	"log/slog"
	"strconv"

	"github.com/scimkit/scim"
)

// The application's reactions to what the identity provider changes: a
// deactivated account's sessions end, and every membership change leaves
// an audit row. The stores know nothing of them: the handler works out
// what each write changed (scim.Event) and calls react with it, through
// scim.WithEventSink, after the write returns and before the identity
// provider gets its answer.
//
// The guarantee is at most once: a crash between the store's commit and
// the reaction loses the reaction (the sessions of an account deactivated
// just then live on until they expire). An application that needs at
// least once uses a store that records its events in the write's
// transaction (scim.EventRecorder and scim.EventLog, as memstore and
// sqlstore do) and reacts with events.Consumer, which resumes from a
// saved cursor.

// reactions returns the event sink of the application: it makes the
// reactions to each write's events in one transaction, and logs what it
// could not do (the write itself has succeeded; the identity provider is
// not told).
func reactions(db *DB, logger *slog.Logger) func(ctx context.Context, events []scim.Event) {
	return func(ctx context.Context, events []scim.Event) {
		// A client that hangs up does not cancel the reaction to a write
		// that committed.
		ctx = context.WithoutCancel(ctx)
		err := db.tx(ctx, func(tx *sql.Tx) error {
			for _, e := range events {
				if err := react(ctx, tx, db, e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			logger.ErrorContext(ctx, "reacting to provisioning failed", "event", events[0].Type, "id", events[0].ResourceID, "error", err)
		}
	}
}

// react makes the application's reaction to one event. A deleted account
// or team needs no more: the events say first which teams it left
// (group.members_removed), and the database deletes its sessions and
// memberships with it. The reactions of two writes can run in the other
// order than the writes (a deactivation and a reactivation in quick
// succession), so deactivated_at follows is_active as it is now rather
// than the event; ending sessions and writing history are right in any
// order.
func react(ctx context.Context, tx *sql.Tx, db *DB, e scim.Event) error {
	id, _ := strconv.ParseInt(e.ResourceID, 10, 64) // the stores' ids are the tables' integer keys
	switch e.Type {
	case scim.EventUserDeactivated:
		if _, err := tx.ExecContext(ctx, db.q("DELETE FROM sessions WHERE account_id = ?"), id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q("UPDATE accounts SET deactivated_at = ? WHERE id = ? AND NOT is_active"), e.Time, id); err != nil {
			return err
		}
		return audit(ctx, tx, db, e, "account.deactivated", id, 0)
	case scim.EventUserReactivated:
		if _, err := tx.ExecContext(ctx, db.q("UPDATE accounts SET deactivated_at = NULL WHERE id = ? AND is_active"), id); err != nil {
			return err
		}
		return audit(ctx, tx, db, e, "account.reactivated", id, 0)
	case scim.EventUserDeleted:
		return audit(ctx, tx, db, e, "account.deleted", id, 0)
	case scim.EventGroupDeleted:
		return audit(ctx, tx, db, e, "team.deleted", 0, id)
	case scim.EventGroupMembersAdded, scim.EventGroupMembersRemoved:
		action := "team.member_added"
		if e.Type == scim.EventGroupMembersRemoved {
			action = "team.member_removed"
		}
		for _, m := range e.MemberIDs {
			account, _ := strconv.ParseInt(m, 10, 64)
			if err := audit(ctx, tx, db, e, action, account, id); err != nil {
				return err
			}
		}
	}
	return nil
}

// audit writes a row of the audit log, at the time of the event; 0 is no
// account or no team.
func audit(ctx context.Context, tx *sql.Tx, db *DB, e scim.Event, action string, account, team int64) error {
	var accountID, teamID any
	if account != 0 {
		accountID = account
	}
	if team != 0 {
		teamID = team
	}
	_, err := tx.ExecContext(ctx, db.q("INSERT INTO audit_log (at, action, account_id, team_id) VALUES (?, ?, ?, ?)"),
		e.Time, action, accountID, teamID)
	return err
}
