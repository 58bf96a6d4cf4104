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
		// Console sign-in (docs/security.md, "Bootstrapping").
		passwordFile = fs.String("password-file", "", "also set the person's console password from this file")
		invite       = fs.Bool("invite", false, "instead of granting now, print a one-time console link that grants the level when accepted")
	)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required("org", *id, "email", *email, "level", *level, "as", *as); err != nil {
		return err
	}
	if *invite && *passwordFile != "" {
		return usageErr("give --invite or --password-file, not both")
	}
	var pwHash string
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
	if *invite {
		return printInvitation(ctx, st, *id, *as, target, lvl, stdout)
	}
	if *passwordFile != "" {
		// Read and checked before anything changes.
		if pwHash, err = consolePasswordHash(*passwordFile); err != nil {
			return err
		}
	}
	from, err := st.GrantLevel(ctx, store.Grant{Org: *id, Actor: *as, Target: target, To: lvl})
	if err != nil {
		return err
	}
	auditCLI(ctx, st, *id, *as, "access.change", target, fmt.Sprintf("%s → %s (CLI)", from.Label(), lvl.Label()))
	if pwHash != "" {
		if err := st.SetPasswordHash(ctx, target, pwHash); err != nil {
			return err
		}
		auditCLI(ctx, st, *id, *as, "access.password", target, "console password set (CLI)")
	}
	fmt.Fprintf(stdout, "%s is now %s in %s\n", target, *level, *id)
	return nil
}
