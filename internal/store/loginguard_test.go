package store

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var errRefused = errors.New("refused")

// Claims are counted before anything is sent, one at a time per org, across
// connections (as across workers); heard steps are uncounted, unheard ones
// stay, and a reset forgets them.
func TestLoginGuardCountsClaimsAtomically(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	createOrg(t, s, "acme")

	st, err := s.LoginGuard(ctx, "acme")
	if err != nil || st.Unheard != 0 || !st.LastStepAt.IsZero() || st.Now.IsZero() {
		t.Fatalf("fresh guard = %+v, %v", st, err)
	}
	// Ten concurrent claimers, each refusing while a step is in flight: exactly one wins.
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.ClaimPasswordStep(ctx, "acme", time.Minute, func(st LoginGuardState) error {
				if st.InFlightUntil.After(st.Now) {
					return errRefused
				}
				return nil
			})
			if err == nil {
				wins.Add(1)
			} else if !errors.Is(err, errRefused) {
				t.Errorf("claim: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d claims won, want exactly 1", wins.Load())
	}
	st, _ = s.LoginGuard(ctx, "acme")
	if st.Unheard != 1 || !st.InFlightUntil.After(st.Now) || st.LastStepAt.IsZero() {
		t.Fatalf("after one claim: %+v", st)
	}
	// Unheard: still counted, no longer in flight.
	st, err = s.SettlePasswordStep(ctx, "acme", false, "unavailable Justworks is unavailable (HTTP 503)")
	if err != nil || st.Unheard != 1 || !st.InFlightUntil.IsZero() || st.LastUnheard == "" {
		t.Fatalf("after an unheard step: %+v, %v", st, err)
	}
	// A second claim, then heard: back to one.
	if err := s.ClaimPasswordStep(ctx, "acme", time.Minute, func(LoginGuardState) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if st, _ = s.SettlePasswordStep(ctx, "acme", true, ""); st.Unheard != 1 {
		t.Fatalf("after a heard step: %+v", st)
	}
	// The callback sees the count; its refusal leaves it alone.
	err = s.ClaimPasswordStep(ctx, "acme", time.Minute, func(st LoginGuardState) error {
		if st.Unheard != 1 {
			t.Errorf("admit saw %d unheard, want 1", st.Unheard)
		}
		return errRefused
	})
	if !errors.Is(err, errRefused) {
		t.Fatalf("refused claim: %v", err)
	}
	if st, _ = s.LoginGuard(ctx, "acme"); st.Unheard != 1 {
		t.Fatalf("a refused claim counted: %+v", st)
	}
	if err := s.ResetLoginGuard(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if st, _ = s.LoginGuard(ctx, "acme"); st.Unheard != 0 {
		t.Fatalf("after reset: %+v", st)
	}
	if err := s.ClaimPasswordStep(ctx, "nope", time.Minute, func(LoginGuardState) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Errorf("claim for a missing org: %v, want ErrNotFound", err)
	}
}

// Re-entered credentials, or an operator's resume, reset the login guard;
// new credentials also drop the org's reusable sessions of the old ones. Any
// other change keeps the guard's count and the block.
func TestCredentialsOrResumeResetTheLoginGuard(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	in := Org{ID: "acme", Name: "Acme", JustworksURL: "https://jw.example", Username: "ops@acme.example",
		SealedPassword: []byte{1}, SealedTOTPSecret: []byte{2}, HeadName: "Ada Lovelace"}
	if _, err := s.SaveOrg(ctx, OrgWrite{ID: "acme", Create: true, Owner: "owner@acme.example"}, func(Org) (Org, error) { return in, nil }); err != nil {
		t.Fatal(err)
	}
	claim := func() {
		t.Helper()
		if err := s.ClaimPasswordStep(ctx, "acme", time.Minute, func(LoginGuardState) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SettlePasswordStep(ctx, "acme", false, "transport no answer"); err != nil {
			t.Fatal(err)
		}
	}
	save := func(w OrgWrite, change func(*Org)) {
		t.Helper()
		w.ID = "acme"
		if _, err := s.SaveOrg(ctx, w, func(o Org) (Org, error) { change(&o); return o, nil }); err != nil {
			t.Fatal(err)
		}
	}
	unheard := func() int {
		st, err := s.LoginGuard(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		return st.Unheard
	}
	claim()
	if err := s.BlockLogin(ctx, "acme", "stopped by the login guard"); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{OrgSessionPrefix("acme") + "old", OrgSessionPrefix("acme_x") + "other", "run-1"} {
		if err := s.SaveSession(ctx, key, []byte("sealed")); err != nil {
			t.Fatal(err)
		}
	}

	save(OrgWrite{}, func(o *Org) { o.HeadName = "Grace Hopper" })
	if got, _ := s.GetOrg(ctx, "acme"); got.LoginBlocked == "" || unheard() != 1 {
		t.Fatalf("a settings change lifted the stop: blocked %q, unheard %d", got.LoginBlocked, unheard())
	}

	save(OrgWrite{ResumeLogins: true}, func(*Org) {})
	if got, _ := s.GetOrg(ctx, "acme"); got.LoginBlocked != "" || unheard() != 0 {
		t.Fatalf("resume: blocked %q, unheard %d", got.LoginBlocked, unheard())
	}
	if n := count(t, s, "SELECT count(*) FROM sessions"); n != 3 {
		t.Errorf("a resume dropped sessions: %d left, want 3", n)
	}

	claim()
	save(OrgWrite{}, func(o *Org) { o.SealedPassword = []byte{3} })
	if unheard() != 0 {
		t.Fatalf("new credentials kept the guard's count: %d", unheard())
	}
	if n := count(t, s, "SELECT count(*) FROM sessions"); n != 2 {
		t.Errorf("%d sessions left, want 2 (the other org's and the run's)", n)
	}
	if tok, _ := s.LoadSession(ctx, OrgSessionPrefix("acme")+"old"); tok != nil {
		t.Error("the session of the replaced credentials survived")
	}
}
