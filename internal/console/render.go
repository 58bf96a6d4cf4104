package console

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/orgsettings"
	"github.com/rostersync/rostersync/internal/store"
)

// view is what every page template gets: the layout's parts and the page's
// own Data.
type view struct {
	Title string
	Nav   string // the active tab: overview, connect, history, chart, people
	User  string // the signed-in email, "" when signed out
	Org   *orgView
	Orgs  []store.UserOrg
	Flash string
	// Refresh, when set, reloads the page after that many seconds without
	// JavaScript (a running sync); console.js polls instead.
	Refresh int
	Data    any
}

// orgView is the org in the layout, with what the user may do there.
type orgView struct {
	ID, Name   string
	Level      domain.Level
	LevelLabel string
	MaySync    bool // start a sync, test or change the connection
	IsOwner    bool // people and access
}

var funcs = template.FuncMap{
	"when": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			if v.IsZero() {
				return ""
			}
			return v.UTC().Format("2006-01-02 15:04 UTC")
		case *time.Time:
			if v == nil {
				return ""
			}
			return v.UTC().Format("2006-01-02 15:04 UTC")
		}
		return fmt.Sprint(t)
	},
	"day": func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format("2 Jan 2006")
	},
	"deref": func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	},
	"levelLabel": levelLabel,
	"add":        func(a, b int) int { return a + b },
	"orID": func(id, name string) string {
		if name == "" {
			return id
		}
		return name
	},
	"problemFor": func(p orgsettings.Invalid, field string) string { return p[field] },
	"fieldOf": func(name, label, value, typ string, p orgsettings.Invalid, hint string) formField {
		return formField{Name: name, Label: label, Value: value, Type: typ, Error: p[name], Hint: hint}
	},
	"words": func(s string) string { return strings.ReplaceAll(s, "_", " ") },
	"plural": func(n int, one, many string) string {
		if n == 1 {
			return fmt.Sprintf("%d %s", n, one)
		}
		return fmt.Sprintf("%d %s", n, many)
	},
}

// formField is one labelled input with its problem, for the "field" template.
type formField struct {
	Name, Label, Value, Type, Error, Hint string
}

// render writes a page. It renders into a buffer first, so a template error
// is a clean 500 and never half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	t, ok := s.pages[name]
	if !ok {
		s.Log.Error("console: missing page template", zap.String("page", name))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if v.User == "" {
		v.User = s.sessions.GetString(r.Context(), keyEmail)
	}
	if v.Flash == "" {
		v.Flash = s.sessions.PopString(r.Context(), keyFlash)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		s.Log.Error("console: render page", zap.String("page", name), zap.Error(err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// renderError shows a message on an error page with the given status.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	s.render(w, r, status, "error", view{Title: http.StatusText(status), Data: struct {
		Status  int
		Message string
	}{status, msg}})
}

// internalError logs err and shows a generic message: details of database or
// Temporal errors stay in the log.
func (s *Server) internalError(w http.ResponseWriter, r *http.Request, what string, err error) {
	s.Log.Error("console: "+what, zap.String("path", r.URL.Path), zap.Error(err))
	s.renderError(w, r, http.StatusInternalServerError, "Something went wrong ("+what+"). Try again; if it persists, ask your operator to look at the console's log.")
}

// flash keeps a message for the next page (after a redirect).
func (s *Server) flash(r *http.Request, msg string) { s.sessions.Put(r.Context(), keyFlash, msg) }

// seeOther redirects after a POST.
func seeOther(w http.ResponseWriter, r *http.Request, path string) {
	http.Redirect(w, r, path, http.StatusSeeOther)
}
