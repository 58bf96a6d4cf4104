package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/rostersync/rostersync/internal/store"
)

// personSet edits a field Rostersync owns (org set --local-fields) of one
// stored person; the sync keeps that value from then on and reports the
// Justworks value it keeps out.
func personSet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("person set", stderr)
	var (
		id    = fs.String("org", "", "org id")
		who   = fs.String("id", "", "the person's Justworks member id (see `starter roster export`)")
		field = fs.String("field", "", "preferred_name, work_email, job_title, department or location (one Rostersync owns)")
		value = fs.String("value", "", "the new value")
		clear = fs.Bool("clear", false, "clear the field instead of setting a value")
		as    = fs.String("as", "", "your email (technical_owner or owner of the org)")
	)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required("org", *id, "id", *who, "field", *field, "as", *as); err != nil {
		return err
	}
	if *clear == flagGiven(fs, "value") {
		return usageErr("give --value V or --clear")
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
	var v *string
	if !*clear {
		v = value
	}
	err = st.SetLocalField(ctx, store.LocalEdit{Org: *id, Actor: *as, MemberID: *who, Field: *field, Value: v})
	switch {
	case errors.Is(err, store.ErrNotLocal), errors.Is(err, store.ErrBadInput), errors.Is(err, store.ErrNotFound):
		return usageErr("%v", err)
	case err != nil:
		return err
	}
	fmt.Fprintf(stdout, "%s of %s set; syncs keep it (Rostersync owns %s in %s)\n", *field, *who, *field, *id)
	return nil
}
