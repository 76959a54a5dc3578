package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// connectReplication opens a replication connection (replication=database).
func connectReplication(ctx context.Context, cfg *config) (*pgconn.PgConn, error) {
	pc, err := pgconn.ParseConfig(cfg.dsn)
	if err != nil {
		return nil, fmt.Errorf("%w at %s: %w", ErrConnect, cfg.target, err)
	}
	pc.RuntimeParams["replication"] = "database"
	conn, err := pgconn.ConnectConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("%w at %s for replication: %w", ErrConnect, cfg.target, err)
	}
	return conn, nil
}

// ensurePublication creates the publication when it is missing, as
// publication.autocreate.mode says.
func ensurePublication(ctx context.Context, conn *pgx.Conn, cfg *config) error {
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $1)`, cfg.pub).Scan(&exists); err != nil {
		return fmt.Errorf("look up publication %s: %w", cfg.pub, err)
	}
	if exists {
		return nil
	}
	var stmt string
	switch cfg.pubMode {
	case "disabled":
		return fmt.Errorf("%w: publication %s does not exist and publication.autocreate.mode=disabled; create it (CREATE PUBLICATION %s FOR ...) or change the mode", ErrPublication, cfg.pub, cfg.pub)
	case "filtered":
		tables, err := matchingTables(ctx, conn, cfg)
		if err != nil {
			return err
		}
		if len(tables) == 0 {
			return fmt.Errorf("%w: no table matches table.include.list, so the filtered publication %s would be empty", ErrPublication, cfg.pub)
		}
		stmt = "CREATE PUBLICATION " + cfg.pub + " FOR TABLE " + strings.Join(tables, ", ")
	default:
		stmt = "CREATE PUBLICATION " + cfg.pub + " FOR ALL TABLES"
	}
	if _, err := conn.Exec(ctx, stmt); err != nil {
		return fmt.Errorf("create publication: %s: %w", stmt, err)
	}
	return nil
}

// matchingTables lists the ordinary tables the include and exclude lists
// select, quoted for SQL.
func matchingTables(ctx context.Context, conn *pgx.Conn, cfg *config) ([]string, error) {
	rows, err := conn.Query(ctx, `SELECT schemaname, tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2`)
	if err != nil {
		return nil, err
	}
	var out []string
	for rows.Next() {
		var s, t string
		if err := rows.Scan(&s, &t); err != nil {
			return nil, err
		}
		if cfg.captured(s, t) {
			out = append(out, pgx.Identifier{s, t}.Sanitize())
		}
	}
	return out, rows.Err()
}

// slotPosition returns the slot's confirmed_flush_lsn, or ok=false when the
// slot does not exist.
func slotPosition(ctx context.Context, conn *pgx.Conn, slot string) (pglogrepl.LSN, bool, error) {
	var lsn *string
	err := conn.QueryRow(ctx, `SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1`, slot).Scan(&lsn)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("look up replication slot %s: %w", slot, err)
	}
	if lsn == nil {
		return 0, true, nil
	}
	pos, err := pglogrepl.ParseLSN(*lsn)
	return pos, true, err
}

// createSlot creates the logical slot on a replication connection. With
// export, the result names a snapshot that stays valid until the next
// command on that connection.
func createSlot(ctx context.Context, conn *pgconn.PgConn, slot string, export bool) (pglogrepl.CreateReplicationSlotResult, error) {
	action := "NOEXPORT_SNAPSHOT"
	if export {
		action = "EXPORT_SNAPSHOT"
	}
	res, err := pglogrepl.CreateReplicationSlot(ctx, conn, slot, "pgoutput",
		pglogrepl.CreateReplicationSlotOptions{Mode: pglogrepl.LogicalReplication, SnapshotAction: action})
	if err != nil {
		return res, fmt.Errorf("create replication slot %s: %w", slot, err)
	}
	return res, nil
}
