package console

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/orgsettings"
	"github.com/rostersync/rostersync/internal/store"
)

// Sync options: who is in scope, which fields are ignored or owned by
// Rostersync, and how long a held sync waits; the same orgsettings.Request
// as `starter org set`. Also the local value of an owned field of one
// person, as `starter person set`.

type optionsForm struct {
	Fields          map[string]string // list fields by orgsettings field name, comma-separated
	ApprovalTimeout string
	Optional        []string
	Problems        orgsettings.Invalid
	Refusal         string
}

var optionListFields = []struct{ Name, Label, Hint string }{
	{orgsettings.FieldIncludeTypes, "Only these employment types", "full_time, part_time, contractor, intern; empty: all"},
	{orgsettings.FieldExcludeTypes, "Leave out these employment types", "e.g. contractor"},
	{orgsettings.FieldIncludeDepartments, "Only these departments", "ids or names; empty: all"},
	{orgsettings.FieldExcludeDepartments, "Leave out these departments", "ids or names"},
	{orgsettings.FieldIncludeMembers, "Always include these member ids", "whatever the rules above say"},
	{orgsettings.FieldExcludeMembers, "Leave out these member ids", ""},
	{orgsettings.FieldIgnoreFields, "Ignore these fields", "never taken from Justworks: " + strings.Join(domain.OptionalFields, ", ")},
	{orgsettings.FieldLocalFields, "Fields Rostersync owns", "the sync keeps local values and reports Justworks'"},
}

func optionsFormOf(o store.Org) optionsForm {
	sc := o.Options.Scope
	j := func(l []string) string { return strings.Join(l, ", ") }
	return optionsForm{Fields: map[string]string{
		orgsettings.FieldIncludeTypes: j(sc.IncludeTypes), orgsettings.FieldExcludeTypes: j(sc.ExcludeTypes),
		orgsettings.FieldIncludeDepartments: j(sc.IncludeDepartments), orgsettings.FieldExcludeDepartments: j(sc.ExcludeDepartments),
		orgsettings.FieldIncludeMembers: j(sc.IncludeMembers), orgsettings.FieldExcludeMembers: j(sc.ExcludeMembers),
		orgsettings.FieldIgnoreFields: j(o.Options.IgnoreFields), orgsettings.FieldLocalFields: j(o.Options.LocalFields),
	}, ApprovalTimeout: approvalOf(o).String(), Optional: domain.OptionalFields}
}

func approvalOf(o store.Org) time.Duration {
	if o.ApprovalTimeout <= 0 {
		return domain.DefaultApprovalTimeout
	}
	return o.ApprovalTimeout
}

func (s *Server) renderOptions(w http.ResponseWriter, r *http.Request, status int, f optionsForm) {
	oc := orgOf(r)
	if !oc.view.MaySync {
		f.Refusal = syncRefusal(oc.email, oc.view.Level, oc.org.ID)
	}
	s.render(w, r, status, "options", view{Title: "Sync options", Nav: "options", Org: oc.view, Data: struct {
		optionsForm
		Lists []struct{ Name, Label, Hint string }
	}{f, optionListFields}})
}

func (s *Server) optionsPage(w http.ResponseWriter, r *http.Request) {
	s.renderOptions(w, r, http.StatusOK, optionsFormOf(orgOf(r).org))
}

func (s *Server) saveOptions(w http.ResponseWriter, r *http.Request) {
	oc := orgOf(r)
	if !oc.view.MaySync {
		s.refuse(w, r, syncRefusal(oc.email, oc.view.Level, oc.org.ID))
		return
	}
	f := optionsForm{Fields: map[string]string{}, ApprovalTimeout: strings.TrimSpace(r.PostFormValue(orgsettings.FieldApprovalTimeout)), Optional: domain.OptionalFields}
	req := orgsettings.Request{Org: oc.org.ID, Actor: oc.email}
	for _, lf := range optionListFields {
		v := r.PostFormValue(lf.Name)
		f.Fields[lf.Name] = v
		p := &v
		switch lf.Name {
		case orgsettings.FieldIncludeTypes:
			req.IncludeTypes = p
		case orgsettings.FieldExcludeTypes:
			req.ExcludeTypes = p
		case orgsettings.FieldIncludeDepartments:
			req.IncludeDepartments = p
		case orgsettings.FieldExcludeDepartments:
			req.ExcludeDepartments = p
		case orgsettings.FieldIncludeMembers:
			req.IncludeMembers = p
		case orgsettings.FieldExcludeMembers:
			req.ExcludeMembers = p
		case orgsettings.FieldIgnoreFields:
			req.IgnoreFields = p
		case orgsettings.FieldLocalFields:
			req.LocalFields = p
		}
	}
	bad := orgsettings.Invalid{}
	if d, err := time.ParseDuration(f.ApprovalTimeout); err != nil {
		bad[orgsettings.FieldApprovalTimeout] = "a duration such as 72h or 30m"
	} else {
		req.ApprovalTimeout = &d
	}
	if err := req.Validate(false); err != nil {
		var invalid orgsettings.Invalid
		if !errors.As(err, &invalid) {
			s.internalError(w, r, "check the options", err)
			return
		}
		for k, v := range invalid {
			bad[k] = v
		}
	}
	if len(bad) > 0 {
		f.Problems = bad
		s.renderOptions(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	_, err := s.Store.SaveOrg(r.Context(), store.OrgWrite{ID: oc.org.ID}, func(old store.Org) (store.Org, error) {
		return orgsettings.Update(old, req, false, s.Sealer)
	})
	var invalid orgsettings.Invalid
	if errors.As(err, &invalid) {
		f.Problems = invalid
		s.renderOptions(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	if err != nil {
		s.internalError(w, r, "save the options", err)
		return
	}
	s.audit(r, oc, "options.update", oc.org.ID, "")
	s.flash(r, "Saved. The next sync uses these options.")
	seeOther(w, r, orgPath(oc.org.ID, "/options"))
}

// setLocalField edits a Rostersync-owned field of one person; the store
// checks the policy and that the field is Rostersync's.
func (s *Server) setLocalField(w http.ResponseWriter, r *http.Request) {
	oc := orgOf(r)
	var v *string
	if val := r.PostFormValue("value"); r.PostFormValue("clear") != "on" {
		v = &val
	}
	err := s.Store.SetLocalField(r.Context(), store.LocalEdit{Org: oc.org.ID, Actor: oc.email,
		MemberID: strings.TrimSpace(r.PostFormValue("id")), Field: r.PostFormValue("field"), Value: v})
	switch {
	case domain.IsRefused(err):
		s.refuse(w, r, err.Error())
		return
	case errors.Is(err, store.ErrNotLocal), errors.Is(err, store.ErrBadInput), errors.Is(err, store.ErrNotFound):
		s.renderError(w, r, http.StatusUnprocessableEntity, err.Error()+" Nothing was changed.")
		return
	case err != nil:
		s.internalError(w, r, "set the field", err)
		return
	}
	s.audit(r, oc, "person.field", r.PostFormValue("id"), r.PostFormValue("field"))
	s.flash(r, "Saved: syncs keep this value.")
	seeOther(w, r, orgPath(oc.org.ID, "/options"))
}
