package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/rostersync/rostersync/internal/orgsettings"
	"github.com/rostersync/rostersync/internal/schedule"
	"github.com/rostersync/rostersync/internal/secrets"
	"github.com/rostersync/rostersync/internal/store"
)

// orgSet creates or updates an org: parse the flags into a request, validate
// it, apply it to the stored org as a pure update under the org's row lock,
// then set the daily schedule. A new org needs every connection flag; an
// existing one keeps what is not given (rotate just the password with
// --password-file). Credentials are sealed and never printed.
func orgSet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	req, err := parseOrgSet(args, stderr)
	if err != nil {
		return err
	}
	e, err := newEnv()
	if err != nil {
		return err
	}
	defer e.Close()
	sealer, err := secrets.ParseKey(e.cfg.SecretKey)
	if err != nil {
		return usageErr("ROSTERSYNC_SECRET_KEY: %v", err)
	}
	st, err := e.Store(ctx)
	if err != nil {
		return err
	}
	_, err = st.GetOrg(ctx, req.Org)
	isNew := errors.Is(err, store.ErrNotFound)
	if err != nil && !isNew {
		return err
	}
	if err := req.Validate(isNew); err != nil {
		return usageErr("%s", orgSetError(req.Org, isNew, err))
	}
	if !isNew {
		if _, err := requireManager(ctx, st, req.Org, req.Actor); err != nil {
			return err
		}
	}
	org, err := st.SaveOrg(ctx, store.OrgWrite{ID: req.Org, Create: isNew, Owner: req.Actor, ResumeLogins: req.ResumeLogins}, func(old store.Org) (store.Org, error) {
		return orgsettings.Update(old, req, isNew, sealer)
	})
	var bad orgsettings.Invalid
	switch {
	case errors.As(err, &bad):
		return usageErr("%s", orgSetError(req.Org, isNew, bad))
	case errors.Is(err, store.ErrExists):
		return refusedErr("%v; run the command again to change it", err)
	case err != nil:
		return err
	}
	verb := "updated"
	if isNew {
		verb = "created"
	}
	fmt.Fprintf(stdout, "org %s %s (head %q, notify %s)\n", org.ID, verb, org.HeadName, strings.Join(org.Notify, ", "))

	c, err := e.Temporal(ctx)
	if err != nil {
		return fmt.Errorf("org saved, but the daily schedule was not updated: %w", err)
	}
	// A schedule paused in Temporal Web stays paused unless this command
	// sets the daily time again.
	what, err := schedule.Ensure(ctx, c, org, e.cfg.TaskQueue, req.Daily != nil)
	if err != nil {
		return fmt.Errorf("org saved, but the daily schedule was not updated: %w", err)
	}
	fmt.Fprintln(stdout, what)
	return nil
}

// orgSetError words a refused request with the flags that set each field.
func orgSetError(org string, isNew bool, err error) string {
	var bad orgsettings.Invalid
	if errors.As(err, &bad) {
		flags := map[string]string{orgsettings.FieldPassword: "password-file (or --password-env)", orgsettings.FieldTOTPSecret: "totp-secret-file"}
		named := orgsettings.Invalid{}
		for f, msg := range bad {
			if fl, ok := flags[f]; ok {
				f = fl
			}
			named[f] = msg
		}
		err = named
	}
	if isNew {
		return fmt.Sprintf("new org %s: %v", org, err)
	}
	return err.Error()
}

// parseOrgSet reads the flags of `org set` into a request; secrets are read
// from their files or variables here and only travel inside the request.
func parseOrgSet(args []string, stderr io.Writer) (orgsettings.Request, error) {
	fs := newFlags("org set", stderr)
	var (
		id           = fs.String("org", "", "org id (letters, digits, - and _)")
		name         = fs.String("name", "", "display name of the org")
		jwURL        = fs.String("justworks-url", "", "Justworks base URL: https, or http to this machine (the sandbox)")
		username     = fs.String("username", "", "username of the dedicated Justworks user")
		passwordFile = fs.String("password-file", "", "file holding that user's password")
		passwordEnv  = fs.String("password-env", "", "environment variable holding that user's password")
		totpFile     = fs.String("totp-secret-file", "", "file holding the user's 2FA setup key (base32)")
		head         = fs.String("head", "", `full name of the org head, e.g. "Ada Lovelace"`)
		notify       = fs.String("notify", "", "comma-separated addresses that get the summary email")
		daily        = fs.String("daily", "", "run daily at HH:MM (24-hour clock)")
		tz           = fs.String("tz", "", "IANA time zone of --daily (default UTC)")
		noDaily      = fs.Bool("no-daily", false, "turn the daily sync off (pauses its schedule)")
		safety       = fs.Float64("safety-limit", 0, "hold for approval a sync that would terminate, remove or clear a field of more than this fraction of active people (default 0.20)")
		approval     = fs.Duration("approval-timeout", 0, "how long a sync held by a safety check waits for approve/reject (default 72h)")
		scope        = map[string]*string{}
		as           = fs.String("as", "", "your email; becomes owner of a new org")
		resume       = fs.Bool("resume-logins", false, "lift a stop of Justworks logins after you checked the account by hand (docs/operations.md)")
	)
	for _, f := range []struct{ name, help string }{
		{orgsettings.FieldIncludeTypes, "sync only these employment types, e.g. full_time,part_time (\"\" clears)"},
		{orgsettings.FieldExcludeTypes, "leave out these employment types, e.g. contractor (\"\" clears)"},
		{orgsettings.FieldIncludeDepartments, "sync only these departments, by id or name (\"\" clears)"},
		{orgsettings.FieldExcludeDepartments, "leave out these departments, by id or name (\"\" clears)"},
		{orgsettings.FieldIncludeMembers, "always sync these member ids, whatever the other scope rules (\"\" clears)"},
		{orgsettings.FieldExcludeMembers, "leave out these member ids (\"\" clears)"},
		{orgsettings.FieldIgnoreFields, "never take these fields from Justworks: preferred_name, work_email, job_title, department, location (\"\" clears)"},
		{orgsettings.FieldLocalFields, "fields Rostersync owns: the sync keeps local values (starter person set) and reports Justworks' (\"\" clears)"},
	} {
		scope[f.name] = fs.String(f.name, "", f.help)
	}
	if err := parse(fs, args); err != nil {
		return orgsettings.Request{}, err
	}
	if err := required("org", *id, "as", *as); err != nil {
		return orgsettings.Request{}, err
	}
	if *passwordFile != "" && *passwordEnv != "" {
		return orgsettings.Request{}, usageErr("give --password-file or --password-env, not both")
	}
	r := orgsettings.Request{Org: *id, Actor: *as, NoDaily: *noDaily, ResumeLogins: *resume}
	str := func(name string, v *string) *string {
		if flagGiven(fs, name) {
			return v
		}
		return nil
	}
	r.Name, r.JustworksURL, r.Username, r.Head = str("name", name), str("justworks-url", jwURL), str("username", username), str("head", head)
	r.Notify, r.Daily, r.TimeZone = str("notify", notify), str("daily", daily), str("tz", tz)
	if flagGiven(fs, "safety-limit") {
		r.SafetyLimit = safety
	}
	if flagGiven(fs, "approval-timeout") {
		r.ApprovalTimeout = approval
	}
	for name, dst := range map[string]**string{
		orgsettings.FieldIncludeTypes: &r.IncludeTypes, orgsettings.FieldExcludeTypes: &r.ExcludeTypes,
		orgsettings.FieldIncludeDepartments: &r.IncludeDepartments, orgsettings.FieldExcludeDepartments: &r.ExcludeDepartments,
		orgsettings.FieldIncludeMembers: &r.IncludeMembers, orgsettings.FieldExcludeMembers: &r.ExcludeMembers,
		orgsettings.FieldIgnoreFields: &r.IgnoreFields, orgsettings.FieldLocalFields: &r.LocalFields,
	} {
		*dst = str(name, scope[name])
	}
	if *passwordFile != "" || *passwordEnv != "" {
		pw, err := readSecret(*passwordFile, *passwordEnv, "password")
		if err != nil {
			return r, err
		}
		r.Password = &pw
	}
	if *totpFile != "" {
		secret, err := readSecret(*totpFile, "", "2FA setup key")
		if err != nil {
			return r, err
		}
		r.TOTPSecret = &secret
	}
	return r, nil
}

// readSecret reads a secret from a file or an environment variable, trimming
// the trailing newline editors add. Its value is never printed.
func readSecret(file, envVar, what string) (string, error) {
	var v string
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", usageErr("read the %s file: %v", what, err)
		}
		v = string(b)
	} else {
		var ok bool
		v, ok = os.LookupEnv(envVar)
		if !ok {
			return "", usageErr("environment variable %s (the %s) is not set", envVar, what)
		}
	}
	v = strings.TrimRight(v, "\r\n")
	if strings.TrimSpace(v) == "" {
		return "", usageErr("the %s is empty", what)
	}
	return v, nil
}

func flagGiven(fs interface{ Visit(func(*flag.Flag)) }, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			given = true
		}
	})
	return given
}
