package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/scimkit/scim"
)

// SeedUsers inserts n users, named fmt.Sprintf(format, i) and with one
// work email each, into tenant, with multi-row INSERTs in one transaction,
// and returns their ids in order. Benchmarks use it to build large data
// sets in seconds rather than minutes of Create calls.
func SeedUsers(ctx context.Context, db *sql.DB, d Dialect, tenant, format string, n int) ([]string, error) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	ids := make([]string, n)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	err = inChunks(idx, 400, func(chunk []int) error {
		q := &sqlBuf{d: d}
		q.sql("INSERT INTO scim_users (tenant, id, version, created, last_modified, user_name, user_name_key,",
			" external_id, display_name_key, active, employee_number_key, doc, search) VALUES ")
		var emails []valueRow
		for k, i := range chunk {
			u := &scim.User{UserName: fmt.Sprintf(format, i), DisplayName: fmt.Sprintf("User %d", i),
				ExternalID: fmt.Sprintf("ext-%d", i), Active: new(bool),
				Emails: []scim.MultiValue{{Value: fmt.Sprintf("u%d@example.com", i), Type: "work", Primary: true}},
				Name:   &scim.Name{GivenName: "Given", FamilyName: fmt.Sprintf("Family%d", i)}}
			w, err := encodeUserWrite(u)
			if err != nil {
				return err
			}
			ids[i] = newID()
			if k > 0 {
				q.sql(", ")
			}
			q.sql("(").arg(tenant).sql(", ").arg(ids[i]).sql(", 1, ").arg(d.timeArg(now)).sql(", ").arg(d.timeArg(now))
			q.sql(", ").arg(u.UserName).sql(", ").arg(fold(u.UserName)).sql(", ").arg(u.ExternalID)
			q.sql(", ").arg(fold(u.DisplayName)).sql(", ").arg(false).sql(", NULL, ").arg(string(w.doc))
			q.sql(", ").arg(string(w.search)).sql(")")
			emails = append(emails, w.values...)
		}
		q.sql(" RETURNING seq")
		rows, err := tx.QueryContext(ctx, q.String(), q.args...)
		if err != nil {
			return err
		}
		var seqs []int64
		for rows.Next() {
			var s int64
			if err := rows.Scan(&s); err != nil {
				rows.Close()
				return err
			}
			seqs = append(seqs, s)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		// One email a user; RETURNING gives the rows in VALUES order here.
		v := &sqlBuf{d: d}
		v.sql("INSERT INTO scim_user_values (user_seq, tenant, attr, pos, value, type, is_primary) VALUES ")
		for k, s := range seqs {
			if k > 0 {
				v.sql(", ")
			}
			e := emails[k]
			v.sql("(").arg(s).sql(", ").arg(tenant).sql(", ").arg(e.attr).sql(", 0, ").arg(e.cols[0])
			v.sql(", ").arg(e.cols[2]).sql(", ").arg(e.primary).sql(")")
		}
		_, err = tx.ExecContext(ctx, v.String(), v.args...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return ids, tx.Commit()
}

// SeedMembers adds members to the group groupID of tenant in one
// transaction.
func SeedMembers(ctx context.Context, db *sql.DB, d Dialect, tenant, groupID string, members []string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	ms := make([]scim.MultiValue, len(members))
	for i, m := range members {
		ms[i] = scim.MultiValue{Value: m, Type: "User"}
	}
	if _, err := insertMembers(ctx, tx, d, tenant, groupID, ms, nil); err != nil {
		return err
	}
	return tx.Commit()
}

// BlockSize is the number of consecutive seqs that one block of
// scim_user_blocks counts.
const BlockSize = blockSize
