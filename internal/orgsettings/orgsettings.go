// Package orgsettings is the one way an org's settings change, whoever asks
// (`starter org set` or the console): a Request is validated on its own
// (Validate), applied to the org as a pure update (Update), saved under the
// org's row lock (Save) and followed by the daily schedule (schedule.Ensure).
package orgsettings

import (
	"bytes"
	"fmt"
	"math"
	"net/mail"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/justworks"
	"github.com/rostersync/rostersync/internal/schedule"
	"github.com/rostersync/rostersync/internal/secrets"
	"github.com/rostersync/rostersync/internal/store"
)

// Request is what someone asks to change. A nil field keeps the stored value;
// a new org needs every connection field. Secrets are in clear only here:
// Update seals them and nothing prints them.
type Request struct {
	Org          string
	Name         *string
	JustworksURL *string
	Username     *string
	Password     *string
	TOTPSecret   *string
	Head         *string
	Notify       *string // comma-separated addresses ("" clears the list)
	Daily        *string // "HH:MM": run daily at that time
	NoDaily      bool    // stop the daily run
	TimeZone     *string // IANA name of Daily's clock
	SafetyLimit  *float64
	// ApprovalTimeout is how long a sync held by a safety check waits for
	// approve or reject before it ends with nothing applied.
	ApprovalTimeout *time.Duration
	// Scope and field options: comma-separated lists; "" clears a list.
	IncludeTypes, ExcludeTypes             *string
	IncludeDepartments, ExcludeDepartments *string
	IncludeMembers, ExcludeMembers         *string
	IgnoreFields, LocalFields              *string
	// ResumeLogins lifts a stop of Justworks logins (a login block, the login
	// guard's count) with the same credentials: the operator checked the
	// account in Justworks by hand. New credentials lift it anyway.
	ResumeLogins bool
	// Actor is the verified person asking: owner of a new org, and the
	// principal a daily schedule they set runs as.
	Actor string
}

// Field names of a Request, as the CLI's flags and the console's form name them.
const (
	FieldOrg                = "org"
	FieldName               = "name"
	FieldJustworksURL       = "justworks-url"
	FieldUsername           = "username"
	FieldPassword           = "password"
	FieldTOTPSecret         = "totp-secret"
	FieldHead               = "head"
	FieldNotify             = "notify"
	FieldDaily              = "daily"
	FieldTimeZone           = "tz"
	FieldSafetyLimit        = "safety-limit"
	FieldApprovalTimeout    = "approval-timeout"
	FieldIncludeTypes       = "include-types"
	FieldExcludeTypes       = "exclude-types"
	FieldIncludeDepartments = "include-departments"
	FieldExcludeDepartments = "exclude-departments"
	FieldIncludeMembers     = "include-members"
	FieldExcludeMembers     = "exclude-members"
	FieldIgnoreFields       = "ignore-fields"
	FieldLocalFields        = "local-fields"
)

// Invalid lists what is wrong with a Request, field by field; nothing was
// saved.
type Invalid map[string]string

func (v Invalid) Error() string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = "--" + k + ": " + v[k]
	}
	return strings.Join(parts, "; ")
}

func given(p *string) bool { return p != nil && strings.TrimSpace(*p) != "" }

// Validate checks the request on its own (formats, and that a new org has
// every connection field).
func (r Request) Validate(isNew bool) error {
	bad := Invalid{}
	if !ValidID(r.Org) {
		bad[FieldOrg] = fmt.Sprintf("%q: use 1 to 64 letters, digits, '-' and '_'", r.Org)
	}
	if isNew {
		for f, p := range map[string]*string{FieldName: r.Name, FieldJustworksURL: r.JustworksURL, FieldUsername: r.Username,
			FieldPassword: r.Password, FieldTOTPSecret: r.TOTPSecret, FieldHead: r.Head} {
			if !given(p) {
				bad[f] = "a new org needs it"
			}
		}
	}
	if given(r.JustworksURL) {
		if err := justworks.CheckBaseURL(strings.TrimSpace(*r.JustworksURL)); err != nil {
			bad[FieldJustworksURL] = err.Error()
		}
	}
	if r.Password != nil && !given(r.Password) {
		bad[FieldPassword] = "the password is empty"
	}
	if r.TOTPSecret != nil {
		if err := justworks.ValidateTOTPSecret(*r.TOTPSecret); err != nil {
			bad[FieldTOTPSecret] = "the 2FA setup key is not a valid base32 TOTP secret (copy it again from Justworks' 2FA setup page)"
		}
	}
	if r.Notify != nil {
		if _, err := ParseEmails(*r.Notify); err != nil {
			bad[FieldNotify] = err.Error()
		}
	}
	if r.Daily != nil {
		if _, _, err := schedule.ParseTimeOfDay(*r.Daily); err != nil {
			bad[FieldDaily] = err.Error()
		}
		if r.NoDaily {
			bad[FieldDaily] = "a daily time and no daily run exclude each other"
		}
	}
	if r.TimeZone != nil {
		if err := CheckTimeZone(*r.TimeZone); err != nil {
			bad[FieldTimeZone] = err.Error()
		}
	}
	if r.SafetyLimit != nil {
		if l := *r.SafetyLimit; math.IsNaN(l) || l <= 0 || l > 1 {
			bad[FieldSafetyLimit] = "must be a fraction above 0 and at most 1 (e.g. 0.2)"
		}
	}
	if r.ApprovalTimeout != nil {
		if err := domain.CheckApprovalTimeout(*r.ApprovalTimeout); err != nil {
			bad[FieldApprovalTimeout] = err.Error()
		}
	}
	for f, p := range map[string]*string{FieldIncludeTypes: r.IncludeTypes, FieldExcludeTypes: r.ExcludeTypes} {
		for _, t := range List(p) {
			if !slices.Contains(employmentTypes, t) {
				bad[f] = fmt.Sprintf("%q is not an employment type: use %s", t, strings.Join(employmentTypes, ", "))
			}
		}
	}
	for f, p := range map[string]*string{FieldIgnoreFields: r.IgnoreFields, FieldLocalFields: r.LocalFields} {
		for _, x := range List(p) {
			if !slices.Contains(domain.OptionalFields, x) {
				bad[f] = fmt.Sprintf("%q: use %s", x, strings.Join(domain.OptionalFields, ", "))
			}
		}
	}
	for _, x := range List(r.IgnoreFields) {
		if slices.Contains(List(r.LocalFields), x) {
			bad[FieldLocalFields] = fmt.Sprintf("%s cannot be both ignored and owned by Rostersync", x)
		}
	}
	if len(bad) > 0 {
		return bad
	}
	return nil
}

// CheckTimeZone accepts an IANA zone name; "Local" (the machine's zone, which
// differs between machines) and "" are refused.
func CheckTimeZone(tz string) error {
	if tz == "" || tz == "Local" {
		return fmt.Errorf("%q is not an IANA time zone (e.g. Europe/Berlin)", tz)
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return fmt.Errorf("%q is not an IANA time zone (e.g. Europe/Berlin)", tz)
	}
	return nil
}

// Update applies the request to org (the stored one, or a zero Org for a new
// one) and returns the org to save. It only reads and seals: credentials
// that are the same once trimmed keep their sealed bytes, so re-entering them
// changes nothing and lifts no login block.
func Update(org store.Org, r Request, isNew bool, sealer *secrets.Sealer) (store.Org, error) {
	if isNew {
		org = store.Org{ID: r.Org, TimeZone: "UTC", SafetyThreshold: store.DefaultSafetyThreshold}
	}
	set := func(dst *string, p *string) {
		if given(p) {
			*dst = strings.TrimSpace(*p)
		}
	}
	oldURL, oldUser := org.JustworksURL, org.Username
	set(&org.Name, r.Name)
	set(&org.HeadName, r.Head)
	set(&org.Username, r.Username)
	if given(r.JustworksURL) {
		org.JustworksURL = strings.TrimRight(strings.TrimSpace(*r.JustworksURL), "/")
	}
	// The stored password and setup key go only where they were entered for.
	if !isNew && (org.JustworksURL != oldURL || org.Username != oldUser) && (r.Password == nil || r.TOTPSecret == nil) {
		return org, Invalid{FieldPassword: "changing the Justworks URL or username needs the password and the 2FA setup key again"}
	}
	seal := func(dst *[]byte, p *string, aad string, norm func(string) string) error {
		if p == nil {
			return nil
		}
		v := norm(*p)
		if len(*dst) > 0 && org.JustworksURL == oldURL && org.Username == oldUser {
			if old, err := sealer.Open(*dst, aad); err == nil && bytes.Equal(old, []byte(v)) {
				return nil // the same secret again: keep it as sealed
			}
		}
		b, err := sealer.Seal([]byte(v), aad)
		if err != nil {
			return err
		}
		*dst = b
		return nil
	}
	trimNewline := func(s string) string { return strings.TrimRight(s, "\r\n") }
	if err := seal(&org.SealedPassword, r.Password, secrets.PasswordAAD(org.ID), trimNewline); err != nil {
		return org, err
	}
	if err := seal(&org.SealedTOTPSecret, r.TOTPSecret, secrets.TOTPSecretAAD(org.ID), strings.TrimSpace); err != nil {
		return org, err
	}
	if r.Notify != nil {
		list, err := ParseEmails(*r.Notify)
		if err != nil {
			return org, Invalid{FieldNotify: err.Error()}
		}
		org.Notify = list
	}
	actor := store.NormalizeEmail(r.Actor)
	if r.TimeZone != nil {
		org.TimeZone = strings.TrimSpace(*r.TimeZone)
		if org.Daily {
			org.ScheduleAs = actor // whoever moves the clock now answers for it
		}
	}
	if r.Daily != nil {
		org.Daily, org.DailyTime, org.ScheduleAs = true, strings.TrimSpace(*r.Daily), actor
	}
	if r.NoDaily {
		org.Daily = false
	}
	if r.SafetyLimit != nil {
		org.SafetyThreshold = *r.SafetyLimit
	}
	if r.ApprovalTimeout != nil {
		org.ApprovalTimeout = *r.ApprovalTimeout
	}
	o := &org.Options
	for _, c := range []struct {
		p   *string
		dst *[]string
	}{{r.IncludeTypes, &o.Scope.IncludeTypes}, {r.ExcludeTypes, &o.Scope.ExcludeTypes},
		{r.IncludeDepartments, &o.Scope.IncludeDepartments}, {r.ExcludeDepartments, &o.Scope.ExcludeDepartments},
		{r.IncludeMembers, &o.Scope.IncludeMembers}, {r.ExcludeMembers, &o.Scope.ExcludeMembers},
		{r.IgnoreFields, &o.IgnoreFields}, {r.LocalFields, &o.LocalFields}} {
		if c.p != nil {
			*c.dst = List(c.p)
		}
	}
	for _, x := range o.IgnoreFields {
		if slices.Contains(o.LocalFields, x) {
			return org, Invalid{FieldLocalFields: fmt.Sprintf("%s cannot be both ignored and owned by Rostersync", x)}
		}
	}
	return org, nil
}

var employmentTypes = []string{justworks.EmploymentFullTime, justworks.EmploymentPartTime, justworks.EmploymentContractor, justworks.EmploymentIntern}

// List reads a comma-separated list: trimmed, without blanks or duplicates
// (nil for none).
func List(p *string) []string {
	if p == nil {
		return nil
	}
	var out []string
	for _, x := range strings.Split(*p, ",") {
		if x = strings.TrimSpace(x); x != "" && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// ParseEmails reads a comma-separated list of bare addresses, lower-cased and
// without duplicates.
func ParseEmails(list string) ([]string, error) {
	out := []string{}
	seen := map[string]bool{}
	for _, p := range strings.Split(list, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		a, err := mail.ParseAddress(p)
		if err != nil || a.Name != "" || a.Address != p {
			return nil, fmt.Errorf("%q is not an email address", p)
		}
		addr := strings.ToLower(a.Address)
		if !seen[addr] {
			seen[addr] = true
			out = append(out, addr)
		}
	}
	return out, nil
}

// ValidID says whether s can name an org: 1 to 64 letters, digits, - and _.
func ValidID(s string) bool {
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
