package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/mail"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/rostersync/rostersync/internal/justworks"
	"github.com/rostersync/rostersync/internal/schedule"
	"github.com/rostersync/rostersync/internal/secrets"
	"github.com/rostersync/rostersync/internal/store"
)

// orgSet creates or updates an org. A new org needs every connection flag;
// an existing one keeps what is not given (rotate just the password with
// --password-file). Credentials are sealed here and never printed.
func orgSet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("org set", stderr)
	var (
		id           = fs.String("org", "", "org id (letters, digits, - and _)")
		name         = fs.String("name", "", "display name of the org")
		jwURL        = fs.String("justworks-url", "", "Justworks base URL (the sandbox for the demo)")
		username     = fs.String("username", "", "username of the dedicated Justworks user")
		passwordFile = fs.String("password-file", "", "file holding that user's password")
		passwordEnv  = fs.String("password-env", "", "environment variable holding that user's password")
		totpFile     = fs.String("totp-secret-file", "", "file holding the user's 2FA setup key (base32)")
		head         = fs.String("head", "", `full name of the org head, e.g. "Ada Lovelace"`)
		notify       = fs.String("notify", "", "comma-separated addresses that get the summary email")
		daily        = fs.String("daily", "", "run daily at HH:MM (24-hour clock)")
		tz           = fs.String("tz", "", "IANA time zone of --daily (default UTC)")
		noDaily      = fs.Bool("no-daily", false, "turn the daily sync off (pauses its schedule)")
		safety       = fs.Float64("safety-limit", 0, "refuse a sync that would terminate or remove more than this fraction of active people (default 0.20)")
		as           = fs.String("as", "", "your email; becomes owner of a new org")
	)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required("org", *id, "as", *as); err != nil {
		return err
	}
	if !validID(*id) {
		return usageErr("--org %q: use letters, digits, '-' and '_' only", *id)
	}
	if *daily != "" && *noDaily {
		return usageErr("--daily and --no-daily exclude each other")
	}
	if *passwordFile != "" && *passwordEnv != "" {
		return usageErr("give --password-file or --password-env, not both")
	}
	if *safety < 0 || *safety > 1 {
		return usageErr("--safety-limit must be a fraction between 0 and 1 (e.g. 0.2)")
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

	org, err := st.GetOrg(ctx, *id)
	isNew := errors.Is(err, store.ErrNotFound)
	if err != nil && !isNew {
		return err
	}
	if isNew {
		if err := required("name", *name, "justworks-url", *jwURL, "username", *username, "head", *head); err != nil {
			return usageErr("new org %s: %v", *id, err)
		}
		if *passwordFile == "" && *passwordEnv == "" {
			return usageErr("new org %s: missing --password-file or --password-env", *id)
		}
		if *totpFile == "" {
			return usageErr("new org %s: missing --totp-secret-file", *id)
		}
		org = store.Org{ID: *id, TimeZone: "UTC", SafetyThreshold: 0.20}
	} else if _, err := requireManager(ctx, st, *id, *as); err != nil {
		return err
	}

	// The stored password and setup key go only where they were entered for:
	// pointing an org at another Justworks URL or user needs them again.
	if !isNew && ((*jwURL != "" && strings.TrimRight(*jwURL, "/") != org.JustworksURL) || (*username != "" && strings.TrimSpace(*username) != org.Username)) &&
		(*passwordFile == "" && *passwordEnv == "" || *totpFile == "") {
		return usageErr("changing the Justworks URL or username needs the password (--password-file or --password-env) and --totp-secret-file again")
	}
	credsChanged := false
	set := func(dst *string, v string) {
		if v = strings.TrimSpace(v); v != "" {
			*dst = v
		}
	}
	set(&org.Name, *name)
	set(&org.HeadName, *head)
	if *jwURL != "" {
		u, err := url.Parse(*jwURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usageErr("--justworks-url %q is not an http(s) URL", *jwURL)
		}
		org.JustworksURL = strings.TrimRight(*jwURL, "/")
	}
	if *username != "" && *username != org.Username {
		org.Username, credsChanged = strings.TrimSpace(*username), true
	}
	if *passwordFile != "" || *passwordEnv != "" {
		pw, err := readSecret(*passwordFile, *passwordEnv, "password")
		if err != nil {
			return err
		}
		if org.SealedPassword, err = sealer.Seal([]byte(pw), secrets.PasswordAAD(org.ID)); err != nil {
			return err
		}
		credsChanged = true
	}
	if *totpFile != "" {
		secret, err := readSecret(*totpFile, "", "2FA setup key")
		if err != nil {
			return err
		}
		if err := justworks.ValidateTOTPSecret(secret); err != nil {
			return usageErr("--totp-secret-file: the 2FA setup key is not a valid base32 TOTP secret (copy it again from Justworks' 2FA setup page)")
		}
		if org.SealedTOTPSecret, err = sealer.Seal([]byte(secret), secrets.TOTPSecretAAD(org.ID)); err != nil {
			return err
		}
		credsChanged = true
	}
	if flagGiven(fs, "notify") {
		list, err := parseEmails(*notify)
		if err != nil {
			return err
		}
		org.Notify = list
	}
	if *tz != "" {
		if _, err := time.LoadLocation(*tz); err != nil {
			return usageErr("--tz %q is not an IANA time zone (e.g. Europe/Berlin)", *tz)
		}
		org.TimeZone = *tz
	}
	if *daily != "" {
		if _, _, err := schedule.ParseTimeOfDay(*daily); err != nil {
			return usageErr("--daily: %v", err)
		}
		org.Daily, org.DailyTime, org.ScheduleAs = true, *daily, store.NormalizeEmail(*as)
	} else if flagGiven(fs, "tz") && org.Daily {
		org.ScheduleAs = store.NormalizeEmail(*as)
	}
	if *noDaily {
		org.Daily = false
	}
	if *safety > 0 {
		org.SafetyThreshold = *safety
	}
	if credsChanged {
		// The operator acted on the credentials: logins may be tried again.
		org.LoginBlocked = ""
	}

	created, err := st.UpsertOrg(ctx, org)
	if err != nil {
		return fmt.Errorf("save org %s: %w", org.ID, err)
	}
	if created {
		if err := st.SetUser(ctx, org.ID, store.NormalizeEmail(*as), store.LevelOwner); err != nil {
			return fmt.Errorf("make %s owner of %s: %w", *as, org.ID, err)
		}
	}
	verb := "updated"
	if created {
		verb = "created"
	}
	fmt.Fprintf(stdout, "org %s %s (head %q, notify %s)\n", org.ID, verb, org.HeadName, strings.Join(org.Notify, ", "))

	c, err := e.Temporal(ctx)
	if err != nil {
		return fmt.Errorf("org saved, but the daily schedule was not updated: %w", err)
	}
	// A schedule paused in Temporal Web stays paused unless this command
	// sets the daily time again.
	what, err := schedule.Ensure(ctx, c, org, e.cfg.TaskQueue, *daily != "")
	if err != nil {
		return fmt.Errorf("org saved, but the daily schedule was not updated: %w", err)
	}
	fmt.Fprintln(stdout, what)
	return nil
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

func parseEmails(list string) ([]string, error) {
	out := []string{}
	seen := map[string]bool{}
	for _, p := range strings.Split(list, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		a, err := mail.ParseAddress(p)
		if err != nil || a.Name != "" {
			return nil, usageErr("--notify: %q is not an email address", p)
		}
		addr := strings.ToLower(a.Address)
		if !seen[addr] {
			seen[addr] = true
			out = append(out, addr)
		}
	}
	return out, nil
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

func validID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
