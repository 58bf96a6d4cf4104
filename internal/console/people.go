package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/store"
)

// People and access: who has which level, invitations, and the audit log.
// Only owners see the page or change anything on it; every change goes
// through store.GrantLevel, which applies the access policy
// (domain.MayGrant, the last-owner rule included) in the same transaction.

type peopleData struct {
	Users       []store.OrgUser
	Levels      []levelOption
	Invitations []store.Invitation
	Audit       []store.AuditEntry
	InviteDays  int
	Error       string
}

type levelOption struct{ Value, Label string }

func levelOptions() []levelOption {
	out := make([]levelOption, len(domain.Levels))
	for i, l := range domain.Levels {
		out[i] = levelOption{string(l), levelLabel(l)}
	}
	return out
}

// ownersOnly refuses everyone but owners.
func (s *Server) ownersOnly(w http.ResponseWriter, r *http.Request, oc orgCtx) bool {
	if oc.view.IsOwner {
		return true
	}
	s.refuse(w, r, fmt.Sprintf("%s has access level %s in %s; people and access are managed by owners.", oc.email, oc.view.LevelLabel, oc.org.ID))
	return false
}

func (s *Server) peoplePage(w http.ResponseWriter, r *http.Request) {
	oc := orgOf(r)
	if !s.ownersOnly(w, r, oc) {
		return
	}
	s.renderPeople(w, r, http.StatusOK, "")
}

func (s *Server) renderPeople(w http.ResponseWriter, r *http.Request, status int, problem string) {
	oc := orgOf(r)
	ctx := r.Context()
	d := peopleData{Levels: levelOptions(), InviteDays: int(s.cfg.InvitationTTL / (24 * time.Hour)), Error: problem}
	var err error
	if d.Users, err = s.Store.Users(ctx, oc.org.ID); err == nil {
		if d.Invitations, err = s.Store.Invitations(ctx, oc.org.ID); err == nil {
			d.Audit, err = s.Store.AuditLog(ctx, oc.org.ID, 100)
		}
	}
	if err != nil {
		s.internalError(w, r, "read people and access", err)
		return
	}
	s.render(w, r, status, "people", view{Title: "People and access", Nav: "people", Org: oc.view, Data: d})
}

// grant changes one person's level (domain.LevelNone removes them).
func (s *Server) grant(w http.ResponseWriter, r *http.Request, to domain.Level, action string) {
	oc := orgOf(r)
	if !s.ownersOnly(w, r, oc) {
		return
	}
	target := store.NormalizeEmail(r.PostFormValue("email"))
	from, err := s.Store.GrantLevel(r.Context(), store.Grant{Org: oc.org.ID, Actor: oc.email, Target: target, To: to})
	switch {
	case domain.IsRefused(err):
		s.renderPeople(w, r, http.StatusForbidden, err.Error())
		return
	case errors.Is(err, store.ErrBadInput):
		s.renderPeople(w, r, http.StatusUnprocessableEntity, "Choose a person and an access level.")
		return
	case err != nil:
		s.internalError(w, r, "change the access level", err)
		return
	}
	s.audit(r, oc, action, target, fmt.Sprintf("%s → %s", levelLabel(from), levelLabel(to)))
	if to == domain.LevelNone {
		s.flash(r, target+" no longer has access to "+oc.view.Name+".")
	} else {
		s.flash(r, target+" is now "+levelLabel(to)+".")
	}
	seeOther(w, r, orgPath(oc.org.ID, "/people"))
}

func (s *Server) setLevel(w http.ResponseWriter, r *http.Request) {
	level, err := domain.ParseLevel(r.PostFormValue("level"))
	if err != nil {
		s.renderPeople(w, r, http.StatusUnprocessableEntity, err.Error())
		return
	}
	s.grant(w, r, level, "access.change")
}

func (s *Server) removePerson(w http.ResponseWriter, r *http.Request) {
	s.grant(w, r, domain.LevelNone, "access.remove")
}

// invite sends a one-time link by email (the same SMTP path as the summary
// emails). The token is in the link only; the store keeps its hash.
func (s *Server) invite(w http.ResponseWriter, r *http.Request) {
	oc := orgOf(r)
	if !s.ownersOnly(w, r, oc) {
		return
	}
	ctx := r.Context()
	addr, err := mail.ParseAddress(strings.TrimSpace(r.PostFormValue("email")))
	if err != nil || addr.Name != "" {
		s.renderPeople(w, r, http.StatusUnprocessableEntity, "Enter the email address of the person to invite.")
		return
	}
	email := store.NormalizeEmail(addr.Address)
	level, err := domain.ParseLevel(r.PostFormValue("level"))
	if err != nil {
		s.renderPeople(w, r, http.StatusUnprocessableEntity, err.Error())
		return
	}
	// An invitation only ever adds access (it never lowers anyone), so it
	// is decided as a grant from no access.
	if err := domain.MayGrant(domain.Grant{Org: oc.org.ID, Actor: oc.email, ActorLevel: domain.Level(oc.view.Level),
		Target: email, From: domain.LevelNone, To: level}); err != nil {
		s.renderPeople(w, r, http.StatusForbidden, err.Error())
		return
	}
	token := randomToken()
	inv := store.Invitation{OrgID: oc.org.ID, Email: email, Level: level, InvitedBy: oc.email, ExpiresAt: time.Now().Add(s.cfg.InvitationTTL)}
	if err := s.Store.CreateInvitation(ctx, token, inv); err != nil {
		s.internalError(w, r, "create the invitation", err)
		return
	}
	link := s.cfg.BaseURL + "/invite/" + token
	if err := s.Mail.Send(ctx, email, invitationMessage(oc.view.Name, oc.email, levelLabel(level), link, s.cfg.InvitationTTL)); err != nil {
		s.Log.Error("console: send invitation", zap.String("org", oc.org.ID), zap.Error(err))
		s.renderPeople(w, r, http.StatusBadGateway, "The invitation email could not be sent ("+err.Error()+"); nobody was invited by email. Try again later.")
		return
	}
	s.audit(r, oc, "access.invite", email, "as "+levelLabel(level))
	s.flash(r, "Invitation sent to "+email+".")
	seeOther(w, r, orgPath(oc.org.ID, "/people"))
}
