package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// migration is one schema version: statements run in one transaction.
type migration struct {
	version int
	stmts   []string
}

// pgMigrations is the PostgreSQL schema. Text columns use the "C" collation
// so that comparisons and ORDER BY are byte-wise, as Go compares strings,
// whatever the database's locale. The *_key columns hold values folded in Go
// (see fold), so case-insensitive lookups are plain index seeks that agree
// with the in-memory evaluator for every Unicode letter. doc is json, not
// jsonb, because jsonb rewrites numbers (1e3 becomes 1000) and doc must
// round-trip extension values exactly; search is jsonb, as it is queried.
var pgMigrations = []migration{{version: 1, stmts: []string{
	`CREATE TABLE scim_users (
	seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	tenant TEXT COLLATE "C" NOT NULL,
	id TEXT COLLATE "C" NOT NULL,
	version BIGINT NOT NULL,
	created TIMESTAMPTZ NOT NULL,
	last_modified TIMESTAMPTZ NOT NULL,
	user_name TEXT COLLATE "C" NOT NULL,
	user_name_key TEXT COLLATE "C" NOT NULL,
	external_id TEXT COLLATE "C",
	display_name_key TEXT COLLATE "C",
	active BOOLEAN,
	employee_number_key TEXT COLLATE "C",
	doc JSON NOT NULL,
	search JSONB NOT NULL
)`,
	`CREATE UNIQUE INDEX scim_users_id ON scim_users (tenant, id)`,
	`CREATE INDEX scim_users_tenant_seq ON scim_users (tenant, seq)`,
	`CREATE UNIQUE INDEX scim_users_user_name ON scim_users (tenant, user_name_key)`,
	`CREATE INDEX scim_users_external_id ON scim_users (tenant, external_id)`,
	`CREATE INDEX scim_users_display_name ON scim_users (tenant, display_name_key)`,
	`CREATE INDEX scim_users_employee_number ON scim_users (tenant, employee_number_key)`,
	`CREATE INDEX scim_users_last_modified ON scim_users (tenant, last_modified)`,
	`CREATE TABLE scim_user_values (
	user_seq BIGINT NOT NULL REFERENCES scim_users (seq) ON DELETE CASCADE,
	tenant TEXT COLLATE "C" NOT NULL,
	attr TEXT COLLATE "C" NOT NULL,
	pos INTEGER NOT NULL,
	value TEXT COLLATE "C",
	display TEXT COLLATE "C",
	type TEXT COLLATE "C",
	is_primary BOOLEAN NOT NULL,
	formatted TEXT COLLATE "C",
	street_address TEXT COLLATE "C",
	locality TEXT COLLATE "C",
	region TEXT COLLATE "C",
	postal_code TEXT COLLATE "C",
	country TEXT COLLATE "C",
	PRIMARY KEY (user_seq, attr, pos)
)`,
	`CREATE INDEX scim_user_values_value ON scim_user_values (tenant, attr, value)`,
	`CREATE TABLE scim_groups (
	seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	tenant TEXT COLLATE "C" NOT NULL,
	id TEXT COLLATE "C" NOT NULL,
	version BIGINT NOT NULL,
	created TIMESTAMPTZ NOT NULL,
	last_modified TIMESTAMPTZ NOT NULL,
	display_name TEXT COLLATE "C" NOT NULL,
	display_name_key TEXT COLLATE "C" NOT NULL,
	external_id TEXT COLLATE "C",
	doc JSON NOT NULL,
	search JSONB NOT NULL
)`,
	`CREATE UNIQUE INDEX scim_groups_id ON scim_groups (tenant, id)`,
	`CREATE INDEX scim_groups_tenant_seq ON scim_groups (tenant, seq)`,
	`CREATE INDEX scim_groups_display_name ON scim_groups (tenant, display_name_key)`,
	`CREATE INDEX scim_groups_external_id ON scim_groups (tenant, external_id)`,
	`CREATE TABLE scim_group_members (
	tenant TEXT COLLATE "C" NOT NULL,
	group_id TEXT COLLATE "C" NOT NULL,
	member_id TEXT COLLATE "C" NOT NULL,
	member_key TEXT COLLATE "C" NOT NULL,
	display TEXT,
	type TEXT,
	ref TEXT,
	pos BIGINT GENERATED ALWAYS AS IDENTITY,
	PRIMARY KEY (tenant, group_id, member_id),
	FOREIGN KEY (tenant, group_id) REFERENCES scim_groups (tenant, id) ON DELETE CASCADE
)`,
	`CREATE INDEX scim_group_members_member ON scim_group_members (tenant, member_key)`,
}}, pgConnectionsMigration, groupNamesMigration(true), pgEventsMigration, pgRequestLogMigration, pgBlocksMigration, pgEventSeqMigration, pgGroupVersionsMigration}

// sqliteMigrations is the SQLite schema: the PostgreSQL one with SQLite
// types (times as fixed-width UTC text, booleans as 0/1, JSON as text).
// SQLite compares text byte-wise by default. The member order is the rowid.
var sqliteMigrations = []migration{{version: 1, stmts: []string{
	`CREATE TABLE scim_users (
	seq INTEGER PRIMARY KEY,
	tenant TEXT NOT NULL,
	id TEXT NOT NULL,
	version INTEGER NOT NULL,
	created TEXT NOT NULL,
	last_modified TEXT NOT NULL,
	user_name TEXT NOT NULL,
	user_name_key TEXT NOT NULL,
	external_id TEXT,
	display_name_key TEXT,
	active INTEGER,
	employee_number_key TEXT,
	doc TEXT NOT NULL,
	search TEXT NOT NULL
)`,
	`CREATE UNIQUE INDEX scim_users_id ON scim_users (tenant, id)`,
	`CREATE INDEX scim_users_tenant_seq ON scim_users (tenant, seq)`,
	`CREATE UNIQUE INDEX scim_users_user_name ON scim_users (tenant, user_name_key)`,
	`CREATE INDEX scim_users_external_id ON scim_users (tenant, external_id)`,
	`CREATE INDEX scim_users_display_name ON scim_users (tenant, display_name_key)`,
	`CREATE INDEX scim_users_employee_number ON scim_users (tenant, employee_number_key)`,
	`CREATE INDEX scim_users_last_modified ON scim_users (tenant, last_modified)`,
	`CREATE TABLE scim_user_values (
	user_seq INTEGER NOT NULL REFERENCES scim_users (seq) ON DELETE CASCADE,
	tenant TEXT NOT NULL,
	attr TEXT NOT NULL,
	pos INTEGER NOT NULL,
	value TEXT,
	display TEXT,
	type TEXT,
	is_primary INTEGER NOT NULL,
	formatted TEXT,
	street_address TEXT,
	locality TEXT,
	region TEXT,
	postal_code TEXT,
	country TEXT,
	PRIMARY KEY (user_seq, attr, pos)
) WITHOUT ROWID`,
	`CREATE INDEX scim_user_values_value ON scim_user_values (tenant, attr, value)`,
	`CREATE TABLE scim_groups (
	seq INTEGER PRIMARY KEY,
	tenant TEXT NOT NULL,
	id TEXT NOT NULL,
	version INTEGER NOT NULL,
	created TEXT NOT NULL,
	last_modified TEXT NOT NULL,
	display_name TEXT NOT NULL,
	display_name_key TEXT NOT NULL,
	external_id TEXT,
	doc TEXT NOT NULL,
	search TEXT NOT NULL
)`,
	`CREATE UNIQUE INDEX scim_groups_id ON scim_groups (tenant, id)`,
	`CREATE INDEX scim_groups_tenant_seq ON scim_groups (tenant, seq)`,
	`CREATE INDEX scim_groups_display_name ON scim_groups (tenant, display_name_key)`,
	`CREATE INDEX scim_groups_external_id ON scim_groups (tenant, external_id)`,
	`CREATE TABLE scim_group_members (
	tenant TEXT NOT NULL,
	group_id TEXT NOT NULL,
	member_id TEXT NOT NULL,
	member_key TEXT NOT NULL,
	display TEXT,
	type TEXT,
	ref TEXT,
	PRIMARY KEY (tenant, group_id, member_id),
	FOREIGN KEY (tenant, group_id) REFERENCES scim_groups (tenant, id) ON DELETE CASCADE
)`,
	`CREATE INDEX scim_group_members_member ON scim_group_members (tenant, member_key)`,
}}, sqliteConnectionsMigration, groupNamesMigration(false), sqliteEventsMigration, sqliteRequestLogMigration, sqliteBlocksMigration, sqliteEventLogMigration}

// groupNamesMigration is version 3: unique group displayNames per tenant
// (see GroupStore.EnforcesUniqueGroupDisplayNames). A group written while
// the rule is asked for has unique_name set, and a partial unique index
// keeps such groups' folded names unique per tenant, so two concurrent
// writers, in one process or several, cannot both take a name. Existing
// groups join the rule one per name (the oldest), so that the index can be
// built over a table that already holds duplicates.
func groupNamesMigration(pg bool) migration {
	col, where := "unique_name BOOLEAN NOT NULL DEFAULT FALSE", "unique_name"
	set := "TRUE"
	if !pg {
		col, where, set = "unique_name INTEGER NOT NULL DEFAULT 0", "unique_name = 1", "1"
	}
	return migration{version: 3, stmts: []string{
		`ALTER TABLE scim_groups ADD COLUMN ` + col,
		`UPDATE scim_groups SET unique_name = ` + set + ` WHERE seq IN (SELECT MIN(seq) FROM scim_groups GROUP BY tenant, display_name_key)`,
		`CREATE UNIQUE INDEX scim_groups_unique_name ON scim_groups (tenant, display_name_key) WHERE ` + where,
	}}
}

// Migrate creates or upgrades the store's tables (all named scim_*) in db to
// the newest schema version. It is idempotent, records the versions it
// applied in scim_schema_migrations, and is safe to run from several
// processes at once (on PostgreSQL it holds an advisory lock, on SQLite the
// write lock). Run it before the first use of a store.
func Migrate(ctx context.Context, db *sql.DB, d Dialect) error {
	if d == nil {
		return fmt.Errorf("sqlstore: nil dialect")
	}
	if _, ok := d.(sqlite); ok {
		// journal_mode is a property of the file, so setting it once here
		// covers connections opened without SQLiteDSN's settings.
		var mode string
		if err := db.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode); err != nil {
			return fmt.Errorf("sqlstore: migrate: %w", err)
		}
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS scim_schema_migrations (
	version INTEGER PRIMARY KEY,
	applied_at TEXT NOT NULL
)`); err != nil && !isUniqueViolation(err) {
		// Two PostgreSQL sessions creating the table at once can collide on
		// its catalog entry; the loser finds the table there afterwards.
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	for _, m := range d.migrations() {
		if err := applyMigration(ctx, db, d, m); err != nil {
			return fmt.Errorf("sqlstore: migrate to version %d: %w", m.version, err)
		}
	}
	return nil
}

func applyMigration(ctx context.Context, db *sql.DB, d Dialect, m migration) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if _, ok := d.(postgres); ok {
		// Serialises concurrent migrations of several replicas; the key is
		// an arbitrary constant ("scim" in ASCII).
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(1935894893)"); err != nil {
			return err
		}
	}
	var n int
	q := "SELECT COUNT(*) FROM scim_schema_migrations WHERE version = " + d.placeholder(1)
	if err := tx.QueryRowContext(ctx, q, m.version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	for _, s := range m.stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	ins := "INSERT INTO scim_schema_migrations (version, applied_at) VALUES (" + d.placeholder(1) + ", " + d.placeholder(2) + ")"
	if _, err := tx.ExecContext(ctx, ins, m.version, time.Now().UTC().Format(time.RFC3339)); err != nil {
		return err
	}
	return tx.Commit()
}
