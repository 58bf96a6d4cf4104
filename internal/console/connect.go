package console

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/rostersync/rostersync/internal/orgsettings"
	"github.com/rostersync/rostersync/internal/orgtree"
	"github.com/rostersync/rostersync/internal/schedule"
	"github.com/rostersync/rostersync/internal/store"
	"github.com/rostersync/rostersync/workflows"
)

// The connect page: the Justworks connection and the sync settings, changed
// through the same validation and update as `starter org set`
// (internal/orgsettings). Secrets are write-only.

type connectData struct {
	Form        connectForm
	Problems    orgsettings.Invalid
	PasswordSet *time.Time
	TOTPSet     *time.Time
	HeadMatch   headMatch
	Blocked     string
	Refusal     string // why this user may only look
	TimeZones   []string
	TestResult  string
	TestOK      bool
}

// connectForm holds the values shown in the form (never a secret).
type connectForm struct {
	JustworksURL, Username, Head, Notify string
	DailyOn                              bool
	Daily, TimeZone                      string
	SafetyPercent                        string
}

// headMatch says which member of the last stored roster the head name
// matches, or the closest names.
type headMatch struct {
	Checked bool // a roster was there to check against
	Match   string
	Detail  string
	Closest []string
	Problem string
}

var commonZones = []string{"UTC", "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
	"Europe/London", "Europe/Berlin", "Europe/Paris", "Asia/Kolkata", "Asia/Tokyo", "Australia/Sydney"}

func formOf(o store.Org) connectForm {
	tz := o.TimeZone
	if tz == "" {
		tz = "UTC"
	}
	return connectForm{JustworksURL: o.JustworksURL, Username: o.Username, Head: o.HeadName,
		Notify: strings.Join(o.Notify, "\n"), DailyOn: o.Daily, Daily: o.DailyTime, TimeZone: tz,
		SafetyPercent: strconv.FormatFloat(o.SafetyThreshold*100, 'f', -1, 64)}
}

func (s *Server) connectPage(w http.ResponseWriter, r *http.Request) {
	oc := orgOf(r)
	s.renderConnect(w, r, http.StatusOK, formOf(oc.org), nil)
}

func (s *Server) renderConnect(w http.ResponseWriter, r *http.Request, status int, f connectForm, problems orgsettings.Invalid) {
	oc := orgOf(r)
	ctx := r.Context()
	d := connectData{Form: f, Problems: problems, Blocked: oc.org.LoginBlocked, TimeZones: commonZones}
	if !oc.view.MaySync {
		d.Refusal = syncRefusal(oc.email, oc.view.Level, oc.org.ID)
	}
	var err error
	if d.PasswordSet, d.TOTPSet, err = s.Store.SecretsSetAt(ctx, oc.org.ID); err != nil {
		s.internalError(w, r, "read the connection", err)
		return
	}
	if d.HeadMatch, err = s.matchHead(ctx, oc.org.ID, f.Head); err != nil {
		s.internalError(w, r, "check the head name", err)
		return
	}
	s.render(w, r, status, "connect", view{Title: "Connect Justworks", Nav: "connect", Org: oc.view, Data: d})
}

// matchHead checks name against the last stored roster with the same
// matching a sync uses (orgtree.FindHead).
func (s *Server) matchHead(ctx context.Context, org, name string) (headMatch, error) {
	ex, err := s.Store.Export(ctx, org)
	if err != nil {
		return headMatch{}, err
	}
	if len(ex.People) == 0 || strings.TrimSpace(name) == "" {
		return headMatch{}, nil
	}
	people := make([]orgtree.Person, 0, len(ex.People))
	byID := map[string]store.ExportPerson{}
	for _, p := range ex.People {
		people = append(people, orgtree.Person{ID: p.ID, GivenName: p.GivenName, FamilyName: p.FamilyName,
			PreferredName: p.PreferredName, ManagerID: p.ManagerID, Status: p.Status})
		byID[p.ID] = p
	}
	m := headMatch{Checked: true}
	id, err := orgtree.FindHead(people, name)
	var nf *orgtree.HeadNotFoundError
	var amb *orgtree.AmbiguousHeadError
	switch {
	case err == nil:
		p := byID[id]
		m.Match = p.DisplayName
		parts := []string{}
		if p.JobTitle != nil && *p.JobTitle != "" {
			parts = append(parts, *p.JobTitle)
		}
		if p.Department != nil && *p.Department != "" {
			parts = append(parts, *p.Department)
		}
		m.Detail = strings.Join(parts, ", ")
	case errors.As(err, &nf):
		m.Problem, m.Closest = "No active member of the last roster has this name.", nf.Closest
	case errors.As(err, &amb):
		m.Problem = fmt.Sprintf("%d active members of the last roster have this name; a sync would refuse to choose.", len(amb.IDs))
	default:
		return headMatch{}, err
	}
	return m, nil
}

func (s *Server) saveConnection(w http.ResponseWriter, r *http.Request) {
	oc := orgOf(r)
	ctx := r.Context()
	if !oc.view.MaySync {
		s.refuse(w, r, syncRefusal(oc.email, oc.view.Level, oc.org.ID))
		return
	}
	f := connectForm{
		JustworksURL:  strings.TrimSpace(r.PostFormValue(orgsettings.FieldJustworksURL)),
		Username:      strings.TrimSpace(r.PostFormValue(orgsettings.FieldUsername)),
		Head:          strings.TrimSpace(r.PostFormValue(orgsettings.FieldHead)),
		Notify:        r.PostFormValue(orgsettings.FieldNotify),
		DailyOn:       r.PostFormValue("daily-on") == "on",
		Daily:         strings.TrimSpace(r.PostFormValue(orgsettings.FieldDaily)),
		TimeZone:      strings.TrimSpace(r.PostFormValue(orgsettings.FieldTimeZone)),
		SafetyPercent: strings.TrimSpace(r.PostFormValue(orgsettings.FieldSafetyLimit)),
	}
	req, bad := connectRequest(oc, f, r.PostFormValue(orgsettings.FieldPassword), r.PostFormValue(orgsettings.FieldTOTPSecret))
	if err := req.Validate(false); err != nil {
		var invalid orgsettings.Invalid
		if !errors.As(err, &invalid) {
			s.internalError(w, r, "check the settings", err)
			return
		}
		for k, v := range invalid {
			bad[k] = v
		}
	}
	if len(bad) > 0 {
		s.renderConnect(w, r, http.StatusUnprocessableEntity, f, bad)
		return
	}
	saved, err := s.Store.SaveOrg(ctx, store.OrgWrite{ID: oc.org.ID}, func(old store.Org) (store.Org, error) {
		return orgsettings.Update(old, req, false, s.Sealer)
	})
	var invalid orgsettings.Invalid
	if errors.As(err, &invalid) {
		s.renderConnect(w, r, http.StatusUnprocessableEntity, f, invalid)
		return
	}
	if err != nil {
		s.internalError(w, r, "save the settings", err)
		return
	}
	changed := changedFields(oc.org, saved)
	if len(changed) == 0 {
		s.flash(r, "Nothing changed.")
		seeOther(w, r, orgPath(oc.org.ID, "/connect"))
		return
	}
	s.audit(r, oc, "connection.update", oc.org.ID, "changed: "+strings.Join(changed, ", "))
	msg := "Saved."
	if what, err := schedule.Ensure(ctx, s.Temporal, saved, s.cfg.TaskQueue, req.Daily != nil); err != nil {
		s.Log.Error("console: update the daily schedule", zap.String("org", oc.org.ID), zap.Error(err))
		msg = "Saved, but the daily schedule could not be updated; save again, or ask your operator."
	} else if what != "" {
		msg = "Saved. " + strings.ToUpper(what[:1]) + what[1:] + "."
	}
	s.flash(r, msg)
	seeOther(w, r, orgPath(oc.org.ID, "/connect"))
}

// connected says whether the org has what a sync needs to log in.
func connected(o store.Org) bool {
	return o.JustworksURL != "" && o.Username != "" && len(o.SealedPassword) > 0 && len(o.SealedTOTPSecret) > 0
}

// connectRequest turns the form into the same Request `starter org set`
// builds from its flags: an empty field keeps the stored value (secrets are
// write-only: empty means "keep"), and only what differs is asked for. The
// form's own problems (a percentage that is not one) come back in bad.
func connectRequest(oc orgCtx, f connectForm, password, totp string) (orgsettings.Request, orgsettings.Invalid) {
	bad := orgsettings.Invalid{}
	o := oc.org
	req := orgsettings.Request{Org: o.ID, Actor: oc.email}
	ptr := func(v string) *string { return &v }
	if f.JustworksURL != "" && strings.TrimRight(f.JustworksURL, "/") != o.JustworksURL {
		req.JustworksURL = ptr(f.JustworksURL)
	}
	if f.Username != "" && f.Username != o.Username {
		req.Username = ptr(f.Username)
	}
	if f.Head != "" && f.Head != o.HeadName {
		req.Head = ptr(f.Head)
	}
	if password != "" {
		req.Password = ptr(password)
	}
	if totp != "" {
		req.TOTPSecret = ptr(totp)
	}
	// One address per line, or separated by commas, as people paste them.
	notify := strings.Join(strings.FieldsFunc(f.Notify, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' || r == ';' }), ",")
	if notify != strings.Join(o.Notify, ",") {
		req.Notify = ptr(notify)
	}
	if f.TimeZone != o.TimeZone {
		req.TimeZone = ptr(f.TimeZone)
	}
	switch {
	case f.DailyOn && f.Daily == "":
		bad[orgsettings.FieldDaily] = "give the time of day to run the daily sync (HH:MM)"
	case f.DailyOn && (!o.Daily || f.Daily != o.DailyTime):
		req.Daily = ptr(f.Daily)
	case !f.DailyOn && o.Daily:
		req.NoDaily = true
	}
	if f.SafetyPercent != "" {
		pct, err := strconv.ParseFloat(strings.TrimSuffix(f.SafetyPercent, "%"), 64)
		switch {
		case err != nil || pct <= 0 || pct > 100:
			bad[orgsettings.FieldSafetyLimit] = "give a percentage above 0 and at most 100"
		case pct/100 != o.SafetyThreshold:
			fraction := pct / 100
			req.SafetyLimit = &fraction
		}
	}
	return req, bad
}

// changedFields names what a save changed (secrets by name only), for the
// audit log.
func changedFields(old, saved store.Org) []string {
	var out []string
	add := func(changed bool, name string) {
		if changed {
			out = append(out, name)
		}
	}
	add(old.JustworksURL != saved.JustworksURL, "Justworks URL")
	add(old.Username != saved.Username, "username")
	add(!bytes.Equal(old.SealedPassword, saved.SealedPassword), "password")
	add(!bytes.Equal(old.SealedTOTPSecret, saved.SealedTOTPSecret), "2FA setup key")
	add(old.HeadName != saved.HeadName, "head")
	add(strings.Join(old.Notify, ",") != strings.Join(saved.Notify, ","), "notification emails")
	add(old.Daily != saved.Daily || old.DailyTime != saved.DailyTime, "daily time")
	add(old.TimeZone != saved.TimeZone, "time zone")
	add(old.SafetyThreshold != saved.SafetyThreshold, "safety limit")
	return out
}

// testConnection logs in to Justworks once, through the same login guard as
// a sync's login step, and says how it went.
func (s *Server) testConnection(w http.ResponseWriter, r *http.Request) {
	oc := orgOf(r)
	if !oc.view.MaySync {
		s.refuse(w, r, syncRefusal(oc.email, oc.view.Level, oc.org.ID))
		return
	}
	if !connected(oc.org) {
		s.flash(r, "Connection test: enter and save the Justworks username, password and 2FA setup key first.")
		seeOther(w, r, orgPath(oc.org.ID, "/connect"))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Minute)
	defer cancel()
	err := s.TestConnection(ctx, oc.org.ID)
	result := "ok"
	if err != nil {
		result = "failed"
		s.flash(r, "Connection test failed: "+workflows.FailureMessage(err))
	} else {
		s.flash(r, "Connection test passed: Rostersync logged in to Justworks as "+oc.org.Username+".")
	}
	s.audit(r, oc, "connection.test", oc.org.ID, result)
	seeOther(w, r, orgPath(oc.org.ID, "/connect"))
}
