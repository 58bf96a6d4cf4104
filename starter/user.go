package main

import (
	"context"
	"fmt"
	"io"
	"net/mail"

	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/store"
)

// userSet gives a person an access level in an org. The store applies the
// access policy (domain.MayGrant) in the same transaction as the change.
func userSet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("user set", stderr)
	var (
		id    = fs.String("org", "", "org id")
		email = fs.String("email", "", "the person's email")
		level = fs.String("level", "", "owner | technical_owner | admin | member")
		as    = fs.String("as", "", "your email (technical_owner or owner of the org)")
	)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required("org", *id, "email", *email, "level", *level, "as", *as); err != nil {
		return err
	}
	lvl, err := domain.ParseLevel(*level)
	if err != nil {
		return usageErr("--level: %v", err)
	}
	addr, err := mail.ParseAddress(*email)
	if err != nil || addr.Name != "" {
		return usageErr("--email %q is not an email address", *email)
	}
	e, err := newEnv()
	if err != nil {
		return err
	}
	defer e.Close()
	st, _, err := e.existingOrg(ctx, *id)
	if err != nil {
		return err
	}
	target := store.NormalizeEmail(addr.Address)
	if _, err := st.GrantLevel(ctx, store.Grant{Org: *id, Actor: *as, Target: target, To: lvl}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s is now %s in %s\n", target, *level, *id)
	return nil
}
