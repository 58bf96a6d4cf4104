package activities

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/rostersync/rostersync/internal/secrets"

	"github.com/rostersync/rostersync/internal/justworks"
)

// stageBatch is how many member rows one COPY carries: big enough that 100,000
// people cost ~50 round trips, small enough that a retry repeats little.
const stageBatch = 2000

// waitHeartbeat is how often a wait inside the client heartbeats; well under
// the fetch's heartbeat timeout (workflows/options.go).
const waitHeartbeat = 5 * time.Second

// FetchMembers pages through every Justworks member of the org into the run's
// staging table. It heartbeats its cursor after each COPY, so a retry (a new
// attempt, maybe on another worker) resumes at the first page not yet staged.
// Only counts return through history.
func (a *Activities) FetchMembers(ctx context.Context, run RunRef) (FetchResult, error) {
	var p FetchProgress
	if activity.HasHeartbeatDetails(ctx) {
		if err := activity.GetHeartbeatDetails(ctx, &p); err != nil {
			return FetchResult{}, fmt.Errorf("read fetch heartbeat: %w", err)
		}
		rows, err := a.Store.StagedRows(ctx, run.RunID)
		if err != nil {
			return FetchResult{}, err
		}
		if rows < p.NextSeq {
			// Rows the heartbeat counts on are gone (a restored database, a
			// pruned run): resuming would apply a roster with holes, and the
			// people in them would be marked removed. Start over.
			activity.GetLogger(ctx).Warn("Staged rows are missing; fetching from the start", "org", run.Org, "staged", rows, "expected", p.NextSeq)
			p = FetchProgress{}
		} else {
			activity.GetLogger(ctx).Info("Resuming member fetch", "org", run.Org, "pages", p.Pages, "received", p.Received)
		}
	}
	if p.NextSeq == 0 {
		if err := a.Store.ResetStaging(ctx, run.RunID); err != nil {
			return FetchResult{}, fmt.Errorf("reset staging: %w", err)
		}
	}
	if !p.Done {
		if err := a.fetchFrom(ctx, run, &p); err != nil {
			return FetchResult{}, err
		}
	}
	staged, err := a.Store.StagedCount(ctx, run.RunID)
	if err != nil {
		return FetchResult{}, fmt.Errorf("count staged members: %w", err)
	}
	return FetchResult{Pages: p.Pages, Received: p.Received, Staged: staged, Restarted: p.Restarts > 0}, nil
}

func (a *Activities) fetchFrom(ctx context.Context, run RunRef, p *FetchProgress) error {
	// staged is the progress as far as it is staged: what heartbeats carry,
	// where a retry resumes. The stager goroutine moves it; waits in the
	// client heartbeat it.
	var mu sync.Mutex
	staged := func() FetchProgress { mu.Lock(); defer mu.Unlock(); return *p }
	beat := func() { activity.RecordHeartbeat(ctx, staged()) }

	// The client may wait inside one page (Retry-After, a new TOTP step);
	// the waits keep heartbeating the staged progress, so the heartbeat
	// timeout can stay short and a crashed worker's fetch resumes quickly.
	sleep := func(ctx context.Context, d time.Duration) error {
		t := time.NewTimer(d)
		defer t.Stop()
		tick := time.NewTicker(waitHeartbeat)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			case <-tick.C:
				beat()
			}
		}
	}
	c, org, err := a.justworksClient(ctx, run.Org, sleep)
	if err != nil {
		return err
	}
	sealed, err := a.Store.LoadSession(ctx, run.RunID)
	if err != nil {
		return fmt.Errorf("load session: %w", err)
	}
	if sealed != nil {
		// A session that no longer opens is only a lost shortcut: the client
		// logs in again by itself.
		if tok, err := a.Secrets.Open(sealed, secrets.SessionAAD(run.RunID)); err == nil {
			c.SetToken(string(tok))
		}
	}

	// Staging overlaps fetching: a full batch goes to the stager goroutine,
	// which COPYs it while the next pages arrive. Batches are staged in
	// order, one at a time; the fetch waits only when one batch is being
	// copied and the next is full too.
	type stageJob struct {
		members []justworks.Member
		after   FetchProgress // the progress once these rows are staged
	}
	jobs := make(chan stageJob, 1)
	var stageErr error // set by the stager before it stops taking jobs
	stageFailed := make(chan struct{})
	stagerDone := make(chan struct{})
	stage := func(j stageJob) error {
		if len(j.members) > 0 {
			if err := a.Store.StageMembers(ctx, run.RunID, staged().NextSeq, j.members); err != nil {
				return stageError(run, err)
			}
		}
		mu.Lock()
		*p = j.after
		mu.Unlock()
		beat()
		return nil
	}
	go func() {
		defer close(stagerDone)
		for j := range jobs {
			if stageErr != nil {
				continue // drain
			}
			if err := stage(j); err != nil {
				stageErr = err
				close(stageFailed)
			}
		}
	}()

	batch := make([]justworks.Member, 0, stageBatch)
	lastBeat := time.Now()
	pending := staged() // progress including rows not yet staged
	send := func() error {
		select {
		case jobs <- stageJob{members: batch, after: pending}:
		case <-stageFailed:
			return errStageFailed
		case <-ctx.Done():
			return ctx.Err()
		}
		batch = make([]justworks.Member, 0, stageBatch)
		lastBeat = time.Now()
		return nil
	}
	err = c.ListMembers(ctx, pending.Cursor, func(pg justworks.Page) error {
		if pg.Restarted {
			// An expired cursor restarted paging from the top: rows staged
			// so far stay, and the copies that follow win (higher seq).
			pending.Restarts++
		}
		batch = append(batch, pg.Members...)
		pending.NextSeq += int64(len(pg.Members))
		pending.Received += len(pg.Members)
		pending.Pages++
		pending.Cursor = pg.NextCursor
		pending.Done = pg.NextCursor == ""
		if len(batch) >= stageBatch || pending.Done {
			return send()
		}
		// Between COPYs, slow pages still tell the server this attempt is
		// alive (with the progress already staged, where a retry resumes).
		// Not on every page: the SDK sends the first heartbeat at once and
		// holds later ones back, so an early empty one would be what a
		// crashed attempt leaves behind.
		if time.Since(lastBeat) >= waitHeartbeat {
			beat()
			lastBeat = time.Now()
		}
		return ctx.Err()
	})
	close(jobs)
	<-stagerDone
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if stageErr != nil {
		return stageErr
	}
	if err != nil {
		// Keep what was fetched: the next attempt resumes after it.
		if ferr := stage(stageJob{members: batch, after: pending}); ferr != nil {
			a.Log.Warn("could not stage the last fetched pages", logOrg(run.Org), errField(ferr))
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return a.justworksFailure(ctx, org, err)
	}
	if !p.Done {
		return stage(stageJob{members: batch, after: pending})
	}
	return nil
}

// errStageFailed stops paging when the stager failed; the stager's error is
// what the fetch returns.
var errStageFailed = errors.New("staging failed")
