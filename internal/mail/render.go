package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"
	"unicode"

	"github.com/rostersync/rostersync/internal/domain"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

var (
	textTmpl = texttemplate.Must(texttemplate.New("summary.txt.tmpl").ParseFS(templateFS, "templates/summary.txt.tmpl"))
	htmlTmpl = htmltemplate.Must(htmltemplate.New("summary.html.tmpl").ParseFS(templateFS, "templates/summary.html.tmpl"))
)

// view is what both templates show, already worded; the templates only lay it
// out, and html/template escapes every value.
type view struct {
	Subject     string
	OrgName     string
	Headline    string
	Outcome     string
	Bad         bool // refused or failed
	Reason      string
	Decision    string
	DueBy       string
	Hint        string
	RequestedBy string
	Started     string
	Finished    string
	Took        string
	CountsTitle string
	Counts      []countRow
	Sections    []section
	WebURL      string
	WorkflowID  string
	RunID       string
}

type countRow struct {
	Label string
	N     int
}

type section struct {
	Title string
	Items []item
	More  int
}

// item is one line of a section: Name in bold in HTML, then Detail.
type item struct {
	Name, Tag, Detail string
}

// Render words a Summary as an email. It fails only on an unknown outcome.
func Render(s Summary) (Message, error) {
	v, err := newView(s)
	if err != nil {
		return Message{}, err
	}
	var text, html bytes.Buffer
	if err := textTmpl.Execute(&text, v); err != nil {
		return Message{}, fmt.Errorf("render text: %w", err)
	}
	if err := htmlTmpl.Execute(&html, v); err != nil {
		return Message{}, fmt.Errorf("render html: %w", err)
	}
	return Message{Subject: v.Subject, Text: strings.TrimRight(text.String(), "\n") + "\n", HTML: html.String()}, nil
}

func newView(s Summary) (view, error) {
	org := line(s.OrgName)
	if org == "" {
		org = line(s.OrgID)
	}
	v := view{
		OrgName:     org,
		Reason:      para(s.Reason),
		Decision:    line(s.Decision),
		DueBy:       stamp(s.DecisionDue),
		Hint:        para(s.DecisionHint),
		RequestedBy: line(s.RequestedBy),
		Started:     stamp(s.Started),
		Finished:    stamp(s.Finished),
		WebURL:      line(s.WebURL),
		WorkflowID:  line(s.WorkflowID),
		RunID:       line(s.RunID),
	}
	if !s.Started.IsZero() && !s.Finished.IsZero() && !s.Finished.Before(s.Started) {
		v.Took = s.Finished.Sub(s.Started).Round(time.Second).String()
	}
	c := s.Counts
	showCounts := true
	switch s.Outcome {
	case domain.OutcomeApplied:
		v.Outcome = "applied"
		v.Headline = changesPhrase(c)
		if v.Headline == "" {
			v.Headline = "no changes"
		}
		v.CountsTitle = "Counts"
	case domain.OutcomeNoChanges:
		v.Outcome = "no changes"
		v.Headline = "no changes"
		v.CountsTitle = "Counts"
	case domain.OutcomeRefused:
		v.Outcome = "refused"
		v.Bad = true
		v.Headline = "sync refused — nothing applied"
		v.CountsTitle = "What the sync would have done (not applied)"
	case domain.OutcomeHeld:
		v.Outcome = "held for approval"
		v.Bad = true
		v.Headline = "sync held for approval — nothing applied yet"
		v.CountsTitle = "What the sync will do if approved"
	case domain.OutcomeFailed:
		v.Outcome = "failed"
		v.Bad = true
		v.Headline = "sync failed"
		v.CountsTitle = "Counts"
		showCounts = c != domain.Counts{}
	default:
		return view{}, fmt.Errorf("render summary: unknown outcome %q", s.Outcome)
	}
	v.Subject = "Rostersync · " + org + ": " + v.Headline
	if showCounts {
		v.Counts = []countRow{
			{"Hires", c.Hires}, {"Terminations", c.Terminations}, {"Rehires", c.Rehires},
			{"Returned", c.Returned}, {"Updates", c.Updates}, {"Unchanged", c.Unchanged},
			{"Removed", c.Removed}, {"Tree problems", c.Problems}, {"Skipped", c.Skipped},
		}
		if c.Excluded > 0 {
			v.Counts = append(v.Counts, countRow{"Excluded (scope)", c.Excluded})
		}
	}

	people := func(title string, key domain.Section, ps []Person) {
		sec := section{Title: title, More: s.Truncated[key]}
		for _, p := range ps {
			var d []string
			for _, x := range []string{line(p.Title), line(p.Department)} {
				if x != "" {
					d = append(d, x)
				}
			}
			if p.Starts != "" {
				d = append(d, "upcoming: starts "+line(p.Starts))
			}
			sec.Items = append(sec.Items, item{Name: nameOr(p.Name, p.ID), Detail: strings.Join(d, ", ")})
		}
		v.add(sec)
	}
	people("Hires", domain.SectionHires, s.Hires)
	people("Terminations", domain.SectionTerminations, s.Terminations)
	people("Rehires", domain.SectionRehires, s.Rehires)
	people("Back on the roster (missing from an earlier one; not rehires)", domain.SectionReturned, s.Returned)

	sec := section{Title: "Title changes", More: s.Truncated[domain.SectionTitleChanges]}
	for _, t := range s.TitleChanges {
		sec.Items = append(sec.Items, item{Name: nameOr(t.Name, t.ID), Detail: orNone(t.Old) + " → " + orNone(t.New)})
	}
	v.add(sec)

	sec = section{Title: "Manager changes", More: s.Truncated[domain.SectionManagerMoves]}
	for _, m := range s.ManagerMoves {
		sec.Items = append(sec.Items, item{Name: nameOr(m.Name, m.ID), Detail: orNone(m.OldManager) + " → " + orNone(m.NewManager)})
	}
	v.add(sec)

	people("Removed from the org chart", domain.SectionRemoved, s.Removed)

	sec = section{Title: "Scheduled terminations (take effect on their date; not applied yet)", More: s.Truncated[domain.SectionScheduled]}
	for _, x := range s.Scheduled {
		sec.Items = append(sec.Items, item{Name: nameOr(x.Name, x.ID), Detail: "on " + line(x.Date)})
	}
	v.add(sec)

	sec = section{Title: "Justworks values kept out (Rostersync owns the field)", More: s.Truncated[domain.SectionKeptOut]}
	for _, k := range s.KeptOut {
		sec.Items = append(sec.Items, item{Name: nameOr(k.Name, k.ID), Tag: strings.ReplaceAll(line(k.Field), "_", " "),
			Detail: "Justworks says " + orNone(k.Justworks) + "; kept " + orNone(k.Local)})
	}
	v.add(sec)

	sec = section{Title: "Excluded by the org's scope (not removed)", More: s.Truncated[domain.SectionExcluded]}
	for _, x := range s.Excluded {
		sec.Items = append(sec.Items, item{Name: nameOr(x.Name, x.ID), Detail: line(x.Reason)})
	}
	v.add(sec)

	sec = section{Title: "Tree problems", More: s.Truncated[domain.SectionProblems]}
	for _, p := range s.Problems {
		sec.Items = append(sec.Items, item{Name: line(p.MemberID), Tag: strings.ReplaceAll(line(p.Kind), "_", " "), Detail: line(p.Detail)})
	}
	v.add(sec)

	sec = section{Title: "Skipped: not stored and not removed (fix them in Justworks)", More: s.Truncated[domain.SectionSkipped]}
	for _, k := range s.Skipped {
		name := line(k.Name)
		switch {
		case name == "":
			name = nameOr("", k.ID)
		case k.ID != "":
			name += " (" + line(k.ID) + ")"
		}
		if name == "" {
			name = "(no id, no name)"
		}
		sec.Items = append(sec.Items, item{Name: name, Tag: k.Reason.Words(), Detail: line(k.Detail)})
	}
	v.add(sec)

	sec = section{Title: "Values Rostersync does not know, stored as received"}
	for _, u := range s.UnknownValues {
		sec.Items = append(sec.Items, item{Name: line(u.Field) + " " + quoteValue(u.Value), Detail: plural(u.People, "person", "people")})
	}
	v.add(sec)
	return v, nil
}

// add keeps a section only when it has something to say.
func (v *view) add(s section) {
	if s.More < 0 {
		s.More = 0
	}
	if len(s.Items) > 0 || s.More > 0 {
		v.Sections = append(v.Sections, s)
	}
}

// changesPhrase is "3 hires, 1 termination, 2 updates" (zero counts left out).
func changesPhrase(c domain.Counts) string {
	var parts []string
	for _, x := range []struct {
		n           int
		one, plural string
	}{
		{c.Hires, "hire", "hires"}, {c.Terminations, "termination", "terminations"},
		{c.Rehires, "rehire", "rehires"}, {c.Returned, "returned", "returned"}, {c.Updates, "update", "updates"},
		{c.Removed, "removal", "removals"}, {c.Problems, "tree problem", "tree problems"},
		{c.Skipped, "skipped", "skipped"},
	} {
		switch {
		case x.n == 1:
			parts = append(parts, "1 "+x.one)
		case x.n > 1:
			parts = append(parts, fmt.Sprintf("%d %s", x.n, x.plural))
		}
	}
	return strings.Join(parts, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// quoteValue shows a vendor's value on one line, "(empty)" when blank.
func quoteValue(s string) string {
	if s = line(s); s == "" {
		return "(empty)"
	}
	return strconv.Quote(s)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func nameOr(name, id string) string {
	if n := line(name); n != "" {
		return n
	}
	return line(id)
}

func orNone(s string) string {
	if s = line(s); s == "" {
		return "(none)"
	}
	return s
}

// line makes a value safe to show on one line (and in the subject): control
// characters, CR and LF included, become spaces; outer spaces go.
func line(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s))
}

// para is line for multi-line text: newlines are kept.
func para(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r != '\n' && (unicode.IsControl(r) || r == '\u2028' || r == '\u2029') {
			return ' '
		}
		return r
	}, s))
}
