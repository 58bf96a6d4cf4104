package store

import (
	"context"
	"errors"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/rostersync/rostersync/internal/domain"
)

// The schema's CHECK constraints spell the shared words in SQL; they must list
// exactly the domain's values.
func TestSchemaChecksMatchDomain(t *testing.T) {
	s := newStore(t)
	check := func(table, column string) []string {
		var def string
		if err := s.db.Get(&def, `
			SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c
			JOIN pg_class r ON r.oid = c.conrelid
			WHERE r.relname = $1 AND c.contype = 'c' AND pg_get_constraintdef(c.oid) LIKE '%' || $2 || '%'`, table, column); err != nil {
			t.Fatalf("check of %s.%s: %v", table, column, err)
		}
		var out []string
		for _, m := range regexp.MustCompile(`'([a-z_]+)'`).FindAllStringSubmatch(def, -1) {
			out = append(out, m[1])
		}
		sort.Strings(out)
		return out
	}
	var kinds, levels []string
	for _, k := range domain.ChangeKinds {
		kinds = append(kinds, string(k))
	}
	for _, l := range domain.Levels {
		levels = append(levels, string(l))
	}
	sort.Strings(kinds)
	sort.Strings(levels)
	if got := check("change_log", "kind"); strings.Join(got, ",") != strings.Join(kinds, ",") {
		t.Errorf("change_log.kind CHECK = %v, domain.ChangeKinds = %v", got, kinds)
	}
	if got := check("org_users", "level"); strings.Join(got, ",") != strings.Join(levels, ",") {
		t.Errorf("org_users.level CHECK = %v, domain.Levels = %v", got, levels)
	}
}

// Two owners demoting each other at the same moment: the store's transaction
// sees one change after the other, so the org keeps an owner.
func TestGrantLevelKeepsAnOwnerUnderConcurrentDemotions(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	for i := 0; i < 20; i++ {
		org := "acme" + string(rune('a'+i))
		createOrg(t, s, org)
		for _, e := range []string{"ann@x", "bob@x"} {
			if err := s.SetUser(ctx, org, e, domain.LevelOwner); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for j, pair := range [][2]string{{"ann@x", "bob@x"}, {"bob@x", "ann@x"}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[j] = s.GrantLevel(ctx, Grant{Org: org, Actor: pair[0], Target: pair[1], To: domain.LevelMember})
			}()
		}
		wg.Wait()
		owners := count(t, s, "SELECT count(*) FROM org_users WHERE org_id = $1 AND level = 'owner'", org)
		if owners != 1 {
			t.Fatalf("%s has %d owners after concurrent demotions (errors %v)", org, owners, errs)
		}
		refused := 0
		for _, err := range errs {
			if err != nil {
				if !domain.IsRefused(err) {
					t.Fatalf("unexpected error: %v", err)
				}
				refused++
			}
		}
		if refused != 1 {
			t.Fatalf("want exactly one refusal, got %v", errs)
		}
	}
}

func TestGrantLevelAppliesThePolicy(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	createOrg(t, s, "acme")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.SetUser(ctx, "acme", "own@x", domain.LevelOwner))
	_, err := s.GrantLevel(ctx, Grant{Org: "acme", Actor: "own@x", Target: "tech@x", To: domain.LevelTechnicalOwner})
	must(err)
	_, err = s.GrantLevel(ctx, Grant{Org: "acme", Actor: "tech@x", Target: "own@x", To: domain.LevelMember})
	if !domain.IsRefused(err) {
		t.Fatalf("a technical owner demoted an owner: %v", err)
	}
	_, err = s.GrantLevel(ctx, Grant{Org: "acme", Actor: "nobody@x", Target: "mem@x", To: domain.LevelMember})
	if !domain.IsRefused(err) {
		t.Fatalf("a stranger granted access: %v", err)
	}
	if err := s.RemoveUser(ctx, "acme", "own@x"); !domain.IsRefused(err) {
		t.Fatalf("the last owner was removed: %v", err)
	}
	if lvl, _ := s.UserLevel(ctx, "acme", "own@x"); lvl != domain.LevelOwner {
		t.Fatalf("owner is now %q", lvl)
	}
}

// A writer's older copy of the org never overwrites a login block the worker
// set meanwhile; new credentials lift it; two creates of one org never
// replace each other.
func TestSaveOrgKeepsLoginBlockAndRefusesSecondCreate(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	o := Org{ID: "acme", Name: "Acme", JustworksURL: "https://jw.example", Username: "u", SealedPassword: []byte("p1"),
		SealedTOTPSecret: []byte("t1"), HeadName: "Ada", TimeZone: "UTC"}
	if _, err := s.SaveOrg(ctx, OrgWrite{ID: "acme", Create: true, Owner: "own@x"}, func(Org) (Org, error) { return o, nil }); err != nil {
		t.Fatal(err)
	}
	if lvl, _ := s.UserLevel(ctx, "acme", "own@x"); lvl != domain.LevelOwner {
		t.Fatalf("creator is %q", lvl)
	}
	if _, err := s.SaveOrg(ctx, OrgWrite{ID: "acme", Create: true, Owner: "eve@x"}, func(Org) (Org, error) { return o, nil }); !errors.Is(err, ErrExists) {
		t.Fatalf("second create: %v", err)
	}
	stale, _ := s.GetOrg(ctx, "acme")
	if err := s.BlockLogin(ctx, "acme", "Justworks rejected the password"); err != nil {
		t.Fatal(err)
	}
	saved, err := s.SaveOrg(ctx, OrgWrite{ID: "acme"}, func(Org) (Org, error) {
		stale.HeadName = "Grace" // a change made on a copy read before the block
		return stale, nil
	})
	if err != nil || saved.LoginBlocked == "" || saved.HeadName != "Grace" {
		t.Fatalf("stale save lifted the block or lost the change: %+v, %v", saved, err)
	}
	saved, err = s.SaveOrg(ctx, OrgWrite{ID: "acme"}, func(old Org) (Org, error) {
		old.SealedPassword = []byte("p2")
		return old, nil
	})
	if err != nil || saved.LoginBlocked != "" {
		t.Fatalf("new password did not lift the block: %+v, %v", saved, err)
	}
}
