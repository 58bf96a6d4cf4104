package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/rostersync/rostersync/internal/justworks"
)

// ErrSuperseded says a newer attempt of the run's fetch has claimed its
// staging: the caller is an older attempt still running and must stop.
var ErrSuperseded = errors.New("a newer attempt of this fetch took over")

// FetchClaim is one fetch attempt's right to stage a run's members.
type FetchClaim struct {
	s       *Store
	runID   string
	attempt int32
}

// ClaimFetch makes attempt the one fetch attempt of the run that may stage
// rows, and drops every member row staged at or past resumeSeq: a crashed
// attempt stages rows before its heartbeat reports them (and the SDK holds
// heartbeats back), so the rows past the heartbeat the new attempt resumes
// from are copies it will fetch again, and an older copy there would outrank
// the fresh one (the highest seq wins). resumeSeq 0 starts the run's staging
// over (tree and head included). ErrSuperseded when a newer attempt already
// claimed the run.
//
// The claim takes the run's claim row; an older attempt's Stage holds it
// shared while it copies, so the two never interleave.
func (s *Store) ClaimFetch(ctx context.Context, runID string, attempt int32, resumeSeq int64) (*FetchClaim, error) {
	if runID == "" || attempt < 1 || resumeSeq < 0 {
		return nil, fmt.Errorf("claim fetch: %w: run %q, attempt %d, resume at %d", ErrBadInput, runID, attempt, resumeSeq)
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var got int32
		err := tx.GetContext(ctx, &got, `
			INSERT INTO staging_fetch (run_id, attempt) VALUES ($1, $2)
			ON CONFLICT (run_id) DO UPDATE SET attempt = EXCLUDED.attempt, claimed_at = now()
				WHERE staging_fetch.attempt < EXCLUDED.attempt
			RETURNING attempt`, runID, attempt)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrSuperseded
		}
		if err != nil {
			return err
		}
		return resetFetch(ctx, tx, runID, resumeSeq)
	})
	if err != nil {
		return nil, fmt.Errorf("claim the fetch of run %s (attempt %d): %w", runID, attempt, err)
	}
	return &FetchClaim{s: s, runID: runID, attempt: attempt}, nil
}

// resetFetch drops what the run's fetch staged from seq on: member rows and
// skipped members without an id. From 0, the tree, head and fetch report go too.
func resetFetch(ctx context.Context, tx *sqlx.Tx, runID string, seq int64) error {
	if seq == 0 {
		if err := dropStaging(ctx, tx, runID, false); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM run_unknown_values WHERE run_id = $1", runID); err != nil {
			return err
		}
	}
	for _, t := range []string{"staging_members", "run_skipped"} {
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+t+" WHERE run_id = $1 AND seq >= $2", runID, seq); err != nil {
			return fmt.Errorf("delete from %s: %w", t, err)
		}
	}
	return nil
}

// Stage stages members as StageMembers does, if the claim still holds:
// ErrSuperseded (nothing written) once a newer attempt claimed the run.
func (c *FetchClaim) Stage(ctx context.Context, firstSeq int64, members []justworks.Member) error {
	b, err := stagingRows(c.runID, firstSeq, members)
	if err != nil {
		return err
	}
	err = c.s.inTx(ctx, func(tx *sqlx.Tx) error {
		var holder int32
		err := tx.GetContext(ctx, &holder, "SELECT attempt FROM staging_fetch WHERE run_id = $1 FOR SHARE", c.runID)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && holder != c.attempt) {
			return ErrSuperseded // a newer attempt, or the run finished and dropped its staging
		}
		if err != nil {
			return err
		}
		return b.copy(ctx, tx)
	})
	if err != nil {
		return fmt.Errorf("stage members of run %s (attempt %d): %w", c.runID, c.attempt, err)
	}
	return nil
}
