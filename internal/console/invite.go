package console

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/mail"
	"github.com/rostersync/rostersync/internal/secrets"
	"github.com/rostersync/rostersync/internal/store"
)

// Accepting an invitation: the link's token is checked (once, unexpired),
// the inviter's right to grant is checked again (they may have lost it
// since), the password is set, and the person is signed in.

type inviteData struct {
	Token, Email, Level, OrgName, InvitedBy string
	Error                                   string
	SSO                                     bool
}

func invitationMessage(org, by, level, link string, ttl time.Duration) mail.Message {
	days := int(ttl / (24 * time.Hour))
	text := fmt.Sprintf("%s invited you to Rostersync for %s, as %s.\n\nSet your password here (the link works once, for %d days):\n%s\n\nIf you did not expect this, ignore this email.\n",
		by, org, level, days, link)
	return mail.Message{Subject: "You are invited to Rostersync (" + org + ")", Text: text}
}

func (s *Server) openInvitation(w http.ResponseWriter, r *http.Request) (store.Invitation, bool) {
	inv, err := s.Store.PendingInvitation(r.Context(), r.PathValue("token"))
	if errors.Is(err, store.ErrInvitationUsed) {
		s.renderError(w, r, http.StatusNotFound, "This invitation link was used already or has expired. Ask for a new one.")
		return inv, false
	}
	if err != nil {
		s.internalError(w, r, "read the invitation", err)
		return inv, false
	}
	return inv, true
}

func (s *Server) invitePage(w http.ResponseWriter, r *http.Request) {
	inv, ok := s.openInvitation(w, r)
	if !ok {
		return
	}
	s.renderInvite(w, r, http.StatusOK, inv, "")
}

func (s *Server) renderInvite(w http.ResponseWriter, r *http.Request, status int, inv store.Invitation, problem string) {
	name := inv.OrgID
	if org, err := s.Store.GetOrg(r.Context(), inv.OrgID); err == nil && org.Name != "" {
		name = org.Name
	}
	s.render(w, r, status, "invite", view{Title: "Join " + name, Data: inviteData{Token: r.PathValue("token"), Email: inv.Email,
		Level: levelLabel(domain.Level(inv.Level)), OrgName: name, InvitedBy: inv.InvitedBy, Error: problem, SSO: s.oidc != nil}})
}

func (s *Server) acceptInvite(w http.ResponseWriter, r *http.Request) {
	inv, ok := s.openInvitation(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	pw := r.PostFormValue("password")
	if pw != r.PostFormValue("password2") {
		s.renderInvite(w, r, http.StatusUnprocessableEntity, inv, "The two passwords differ.")
		return
	}
	if err := secrets.CheckPasswordPolicy(pw); err != nil {
		s.renderInvite(w, r, http.StatusUnprocessableEntity, inv, "Choose another password: "+err.Error()+".")
		return
	}
	inviter, err := s.Store.UserLevel(ctx, inv.OrgID, inv.InvitedBy)
	if err != nil {
		s.internalError(w, r, "check the invitation", err)
		return
	}
	if err := domain.MayGrant(domain.Grant{Org: inv.OrgID, Actor: inv.InvitedBy, ActorLevel: domain.Level(inviter),
		Target: inv.Email, From: domain.LevelNone, To: domain.Level(inv.Level)}); err != nil {
		s.renderError(w, r, http.StatusForbidden, "This invitation is no longer valid: "+inv.InvitedBy+" may no longer grant this access. Ask an owner for a new one.")
		return
	}
	hash, err := secrets.HashPassword(pw)
	if err != nil {
		s.internalError(w, r, "hash the password", err)
		return
	}
	inv, err = s.Store.AcceptInvitation(ctx, r.PathValue("token"), hash)
	if errors.Is(err, store.ErrInvitationUsed) {
		s.renderError(w, r, http.StatusNotFound, "This invitation link was used already or has expired. Ask for a new one.")
		return
	}
	if err != nil {
		s.internalError(w, r, "accept the invitation", err)
		return
	}
	if err := s.Store.Audit(ctx, store.AuditEntry{OrgID: inv.OrgID, Actor: inv.Email, Action: "access.accept", Target: inv.Email,
		Detail: "invited by " + inv.InvitedBy + " as " + levelLabel(domain.Level(inv.Level))}); err != nil {
		s.Log.Error("console: audit", zap.Error(err))
	}
	if err := s.startSession(ctx, inv.Email, "password"); err != nil {
		s.internalError(w, r, "start your session", err)
		return
	}
	s.flash(r, "Welcome to Rostersync. You joined "+strings.TrimSpace(inv.OrgID)+".")
	seeOther(w, r, orgPath(inv.OrgID, ""))
}
