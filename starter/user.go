package main

import (
	"context"
	"fmt"
	"io"
	"net/mail"

	"github.com/rostersync/rostersync/internal/store"
)

var levels = map[string]bool{store.LevelOwner: true, store.LevelTechnicalOwner: true, store.LevelAdmin: true, store.LevelMember: true}

// userSet gives a person an access level in an org. Technical owners manage
// admins and members; only an owner grants or takes away owner and
// technical_owner, so nobody can raise themselves above their own level.
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
	if !levels[*level] {
		return usageErr("--level %q: use owner, technical_owner, admin or member", *level)
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
	mine, err := requireManager(ctx, st, *id, *as)
	if err != nil {
		return err
	}
	target := store.NormalizeEmail(addr.Address)
	current, err := st.UserLevel(ctx, *id, target)
	if err != nil {
		return err
	}
	high := func(l string) bool { return l == store.LevelOwner || l == store.LevelTechnicalOwner }
	if mine != store.LevelOwner && (high(*level) || high(current)) && target != store.NormalizeEmail(*as) {
		return refusedErr("only an owner of %s can grant or change owner and technical_owner access", *id)
	}
	if mine != store.LevelOwner && *level == store.LevelOwner {
		return refusedErr("only an owner of %s can grant owner access", *id)
	}
	if current == store.LevelOwner && *level != store.LevelOwner {
		users, err := st.Users(ctx, *id)
		if err != nil {
			return err
		}
		owners := 0
		for _, u := range users {
			if u.Level == store.LevelOwner {
				owners++
			}
		}
		if owners <= 1 {
			return refusedErr("%s is the last owner of %s; make someone else owner first", target, *id)
		}
	}
	if err := st.SetUser(ctx, *id, target, *level); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s is now %s in %s\n", target, *level, *id)
	return nil
}
