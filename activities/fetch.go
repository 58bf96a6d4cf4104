package activities

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/rostersync/rostersync/internal/secrets"
	"github.com/rostersync/rostersync/internal/store"

	"github.com/rostersync/rostersync/internal/justworks"
)

// stageBatch is how many member rows one COPY carries: big enough that 100,000
// people cost ~50 round trips, small enough that a retry repeats little.
const stageBatch = 2000

// beatEvery is how often a fetch heartbeats its staged progress, whatever it
// is waiting for (a page, a COPY, a Retry-After, a new TOTP step): well under
// the fetch's and the login's heartbeat timeout (workflows/options.go), so
// the server never starts a second attempt while this one is alive.
const beatEvery = 5 * time.Second

// FetchMembers pages through every Justworks member of the org into the run's
// staging table. It heartbeats its cursor after each COPY, so a retry (a new
// attempt, maybe on another worker) resumes at the first page not yet staged.
// Only counts return through history.
//
// A retry first claims the run's staging (store.ClaimFetch): rows staged past
// the heartbeat it resumes from are dropped, since they may hold older copies
// of members that have since moved to an earlier page, and an older attempt
// that is somehow still running can stage nothing more.
func (a *Activities) FetchMembers(ctx context.Context, run RunRef) (FetchResult, error) {
	var p FetchProgress
	if activity.HasHeartbeatDetails(ctx) {
		if err := activity.GetHeartbeatDetails(ctx, &p); err != nil {
			return FetchResult{}, fmt.Errorf("read fetch heartbeat: %w", err)
		}
	}
	claim, err := a.Store.ClaimFetch(ctx, run.RunID, activity.GetInfo(ctx).Attempt, p.NextSeq)
	if err != nil {
		return FetchResult{}, err
	}
	if p.NextSeq > 0 {
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
			if err := a.Store.ResetStaging(ctx, run.RunID); err != nil {
				return FetchResult{}, fmt.Errorf("reset staging: %w", err)
			}
		} else {
			activity.GetLogger(ctx).Info("Resuming member fetch", "org", run.Org, "pages", p.Pages, "received", p.Received)
		}
	}
	if !p.Done {
		if err := a.fetchFrom(ctx, run, claim, &p); err != nil {
			return FetchResult{}, err
		}
	}
	// What the fetch could not take as sent goes on the run's record now,
	// so the email and `starter status` report it whatever happens next.
	if err := a.Store.RecordFetchReport(ctx, run.RunID); err != nil {
		return FetchResult{}, err
	}
	staged, err := a.Store.StagedCount(ctx, run.RunID)
	if err != nil {
		return FetchResult{}, fmt.Errorf("count staged members: %w", err)
	}
	return FetchResult{Pages: p.Pages, Received: p.Received, Staged: staged, Restarted: p.Restarts > 0}, nil
}

func (a *Activities) fetchFrom(ctx context.Context, run RunRef, claim *store.FetchClaim, p *FetchProgress) error {
	// staged is the progress as far as it is staged: what heartbeats carry,
	// where a retry resumes. The stager goroutine moves it; the beat
	// goroutine below reports it.
	var mu sync.Mutex
	staged := func() FetchProgress { mu.Lock(); defer mu.Unlock(); return *p }
	beat := func() { activity.RecordHeartbeat(ctx, staged()) }

	// Every wait of this attempt (a page, a COPY, the client's Retry-After and
	// 5xx backoffs, a new TOTP step) is covered by a goroutine that beats the
	// staged progress every beatEvery, so the heartbeat timeout can stay
	// short, a crashed worker's fetch resumes quickly, and the server never
	// starts a second attempt beside a live one. No beat at start: the SDK
	// sends the first heartbeat at once and holds later ones back, so an
	// early beat would be what a crashed attempt leaves behind, and its retry
	// would resume from further back.
	beating := make(chan struct{})
	beatDone := make(chan struct{})
	go func() {
		defer close(beatDone)
		t := time.NewTicker(beatEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-beating:
				return
			case <-t.C:
				beat()
			}
		}
	}()
	defer func() { close(beating); <-beatDone }()
	// The beat goroutine covers a re-login too (token_expired, through the
	// login guard): no beat of the guard's own is needed.
	c, org, err := a.justworksClient(ctx, run.Org, nil)
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
	// A re-login (token_expired) opens a new session: store it, so the next
	// attempt, and the org's next sync, continue it instead of sending the
	// password again.
	stored := c.Token()
	saveSession := func() {
		if tok := c.Token(); tok != "" && tok != stored {
			if err := a.saveSessions(ctx, run, org, tok); err != nil {
				a.Log.Warn("could not store the refreshed Justworks session", logOrg(run.Org), errField(err))
				return
			}
			stored = tok
		}
	}
	defer saveSession()

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
			if err := claim.Stage(ctx, staged().NextSeq, j.members); err != nil {
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
		saveSession()
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
