package console

import (
	"net/http"
)

// historyLimit is how many runs the history page lists.
const historyLimit = 50

func (s *Server) historyPage(w http.ResponseWriter, r *http.Request) {
	oc := orgOf(r)
	runs, err := s.Store.LastRuns(r.Context(), oc.org.ID, historyLimit)
	if err != nil {
		s.internalError(w, r, "read the history", err)
		return
	}
	views := make([]*runView, len(runs))
	for i, run := range runs {
		views[i] = s.runView(run)
	}
	s.render(w, r, http.StatusOK, "history", view{Title: "History", Nav: "history", Org: oc.view, Data: views})
}
