package console

import (
	"errors"
	"net/http"

	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/store"
)

// changesPerKind bounds each list on a run's page; the counts say how many
// there are in all (`starter roster export` has everyone).
const changesPerKind = 1000

type runData struct {
	Run      *runView
	Sections []changeSection
	Problems []store.ExportProblem
	Names    map[string]string
}

type changeSection struct {
	Kind    domain.ChangeKind
	Title   string
	Changes []store.Change
	More    int
}

var sectionTitles = []struct {
	kind  domain.ChangeKind
	title string
}{
	{domain.ChangeHire, "Hires"}, {domain.ChangeTermination, "Terminations"}, {domain.ChangeRehire, "Rehires"},
	{domain.ChangeUpdate, "Updates"}, {domain.ChangeRemoved, "Removed from Justworks"},
}

func (s *Server) runPage(w http.ResponseWriter, r *http.Request) {
	oc := orgOf(r)
	ctx := r.Context()
	run, err := s.Store.GetRun(ctx, r.PathValue("run"))
	if errors.Is(err, store.ErrNotFound) || err == nil && run.OrgID != oc.org.ID {
		s.renderError(w, r, http.StatusNotFound, "There is no such run of "+oc.org.ID+".")
		return
	}
	if err != nil {
		s.internalError(w, r, "read the run", err)
		return
	}
	changes, err := s.Store.RunChanges(ctx, run.RunID, changesPerKind)
	if err != nil {
		s.internalError(w, r, "read the run's changes", err)
		return
	}
	problems, err := s.Store.RunProblems(ctx, run.RunID, changesPerKind)
	if err != nil {
		s.internalError(w, r, "read the run's tree problems", err)
		return
	}
	ids := make([]string, len(problems))
	for i, p := range problems {
		ids[i] = p.MemberID
	}
	names, err := s.Store.DisplayNames(ctx, oc.org.ID, ids)
	if err != nil {
		s.internalError(w, r, "read names", err)
		return
	}
	d := runData{Run: s.runView(run), Problems: problems, Names: names}
	totals := map[domain.ChangeKind]int{domain.ChangeHire: run.Counts.Hires, domain.ChangeTermination: run.Counts.Terminations,
		domain.ChangeRehire: run.Counts.Rehires, domain.ChangeUpdate: run.Counts.Updates, domain.ChangeRemoved: run.Counts.Removed}
	for _, st := range sectionTitles {
		sec := changeSection{Kind: st.kind, Title: st.title}
		for _, c := range changes {
			if c.Kind == st.kind {
				sec.Changes = append(sec.Changes, c)
			}
		}
		sec.More = totals[st.kind] - len(sec.Changes)
		if sec.More < 0 {
			sec.More = 0
		}
		if len(sec.Changes) > 0 || sec.More > 0 {
			d.Sections = append(d.Sections, sec)
		}
	}
	s.render(w, r, http.StatusOK, "run", view{Title: "Run " + shortID(run.RunID), Nav: "history", Org: oc.view, Data: d})
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
