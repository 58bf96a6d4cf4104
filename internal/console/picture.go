package console

import (
	"bytes"
	"net/http"
	"time"

	"github.com/rostersync/rostersync/internal/orgchart"
	"github.com/rostersync/rostersync/internal/store"
)

// The chart as a picture, on any day: the same SVG as `starter roster export
// --format svg [--as-of]`, drawn by internal/orgchart, with a date picker.

type pictureData struct {
	AsOf, Today string
	Problem     string // a date that is not one
}

// orgToday is now in the org's time zone (UTC when unset).
func orgToday(org store.Org) time.Time {
	loc, err := time.LoadLocation(org.TimeZone)
	if err != nil || org.TimeZone == "" {
		loc = time.UTC
	}
	return time.Now().In(loc)
}

// pictureDay reads ?as_of=YYYY-MM-DD; "" is today in the org's time zone.
func pictureDay(r *http.Request, org store.Org) (day time.Time, given bool, err error) {
	v := r.URL.Query().Get("as_of")
	if v == "" {
		return orgToday(org), false, nil
	}
	d, err := time.Parse(time.DateOnly, v)
	return d, true, err
}

func (s *Server) picturePage(w http.ResponseWriter, r *http.Request) {
	oc := orgOf(r)
	day, given, err := pictureDay(r, oc.org)
	d := pictureData{Today: orgToday(oc.org).Format(time.DateOnly)}
	switch {
	case err != nil:
		d.Problem = "Give a date as YYYY-MM-DD."
	case given:
		d.AsOf = day.Format(time.DateOnly)
	}
	s.render(w, r, http.StatusOK, "picture", view{Title: "Chart picture", Nav: "picture", Org: oc.view, Data: d})
}

// pictureSVG serves the drawing. Its styles are inside the SVG, so this
// response allows inline styles (and nothing else).
func (s *Server) pictureSVG(w http.ResponseWriter, r *http.Request) {
	oc := orgOf(r)
	day, given, err := pictureDay(r, oc.org)
	if err != nil {
		http.Error(w, "as_of: give a date as YYYY-MM-DD", http.StatusBadRequest)
		return
	}
	var x store.Export
	if given {
		x, err = s.Store.ExportAsOf(r.Context(), oc.org.ID, day)
	} else {
		x, err = s.Store.Export(r.Context(), oc.org.ID)
	}
	if err != nil {
		s.internalError(w, r, "read the org chart", err)
		return
	}
	var buf bytes.Buffer
	if err := orgchart.WriteSVG(&buf, orgchart.FromExport(x, oc.view.Name+" as of "+day.Format(time.DateOnly), day)); err != nil {
		s.internalError(w, r, "draw the org chart", err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "image/svg+xml")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	_, _ = buf.WriteTo(w)
}
