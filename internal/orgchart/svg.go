package orgchart

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// WriteSVG draws the chart as a standalone SVG document. Every value is
// XML-escaped; long text is shortened with "…" to fit its box, and the full
// text is the box's tooltip (<title>).
func WriteSVG(w io.Writer, c Chart) error {
	l := Place(c)
	bw := bufio.NewWriterSize(w, 1<<16)
	width, height := l.Width, l.Height+28
	fmt.Fprintf(bw, `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="Helvetica, Arial, sans-serif">
<style>
.box{fill:#fff;stroke:#8c959f;stroke-width:1}
.head{fill:#ddf4ff;stroke:#0969da;stroke-width:2}
.terminated{fill:#f6f8fa;stroke:#afb8c1;stroke-dasharray:2 2}
.terminated text{fill:#8c959f}
.on_leave{fill:#fff8c5}
.upcoming{fill:#dafbe1;stroke:#1a7f37;stroke-dasharray:6 3}
.problem{fill:#ffebe9;stroke:#cf222e;stroke-width:2}
.name{font-size:13px;font-weight:600;fill:#1f2328}
.title{font-size:11px;fill:#1f2328}
.dept{font-size:10px;fill:#656d76}
.tag{font-size:9px;font-weight:600;fill:#cf222e}
.link{fill:none;stroke:#afb8c1;stroke-width:1}
.heading{font-size:16px;font-weight:600;fill:#1f2328}
.section{font-size:14px;font-weight:600;fill:#cf222e}
</style>
<rect width="100%%" height="100%%" fill="#f6f8fa"/>
`, width, height, width, height)
	title := c.Title
	if title == "" {
		title = "Org chart"
	}
	fmt.Fprintf(bw, "<text class=\"heading\" x=\"%d\" y=\"%.0f\">%s</text>\n", margin, l.Height+16, esc(fmt.Sprintf("%s · %d people, %d outside the tree", title, len(c.People), l.Outside)))
	bw.WriteString("<g class=\"links\">\n")
	for _, ln := range l.Lines {
		bw.WriteString(`<polyline class="link" points="`)
		for i, p := range ln.Points {
			if i > 0 {
				bw.WriteByte(' ')
			}
			fmt.Fprintf(bw, "%.1f,%.1f", p[0], p[1])
		}
		bw.WriteString("\"/>\n")
	}
	bw.WriteString("</g>\n")
	if l.Outside > 0 {
		fmt.Fprintf(bw, "<text class=\"section\" x=\"%d\" y=\"%.0f\">Not in the tree (%d): tree problems and people whose manager is not in the chart</text>\n",
			margin, l.OutsideY+4, l.Outside)
	}
	for _, b := range l.Boxes {
		writeBox(bw, b, b.ID == c.HeadID)
	}
	bw.WriteString("</svg>\n")
	return bw.Flush()
}

func writeBox(w *bufio.Writer, b Box, head bool) {
	class := "box"
	tag := ""
	switch {
	case b.Problem != "":
		class, tag = "box problem", strings.ReplaceAll(b.Problem, "_", " ")
	case head:
		class = "box head"
	case b.Upcoming:
		class, tag = "box upcoming", "upcoming"
	case b.Status == "terminated":
		class, tag = "box terminated", "terminated"
	case b.Status == "on_leave":
		class, tag = "box on_leave", "on leave"
	case b.Status == "pending":
		tag = "pending"
	}
	full := b.Name
	for _, s := range []string{b.Title, b.Department, tag} {
		if s != "" {
			full += " · " + s
		}
	}
	fmt.Fprintf(w, "<g id=\"p-%s\" class=\"%s\" transform=\"translate(%.1f,%.1f)\"><title>%s</title>", esc(b.ID), class, b.X, b.Y, esc(full+" ("+b.ID+")"))
	fmt.Fprintf(w, "<rect class=\"%s\" width=\"%d\" height=\"%d\" rx=\"6\"/>", class, BoxW, BoxH)
	name := b.Name
	if name == "" {
		name = b.ID
	}
	fmt.Fprintf(w, "<text class=\"name\" x=\"8\" y=\"18\">%s</text>", esc(fit(name, 26)))
	if b.Title != "" {
		fmt.Fprintf(w, "<text class=\"title\" x=\"8\" y=\"34\">%s</text>", esc(fit(b.Title, 32)))
	}
	if b.Department != "" || tag != "" {
		dept := fit(b.Department, 24)
		fmt.Fprintf(w, "<text class=\"dept\" x=\"8\" y=\"50\">%s</text>", esc(dept))
		if tag != "" {
			fmt.Fprintf(w, "<text class=\"tag\" x=\"%d\" y=\"50\" text-anchor=\"end\">%s</text>", BoxW-8, esc(fit(tag, 18)))
		}
	}
	w.WriteString("</g>\n")
}

// fit shortens s to n characters, ending in "…" when cut.
func fit(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;")

// esc escapes XML text and attribute values, and drops the control
// characters XML 1.0 cannot hold.
func esc(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			return -1
		}
		return r
	}, s)
	return xmlEscaper.Replace(s)
}

// WriteDOT describes the chart in Graphviz DOT (for people who lay it out
// with their own tools); problems are drawn red, the head blue.
func WriteDOT(w io.Writer, c Chart) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "digraph orgchart {\n  label=%s;\n  labelloc=t;\n  rankdir=TB;\n  node [shape=box, style=\"rounded,filled\", fillcolor=white, fontname=\"Helvetica\"];\n", dotQuote(c.Title))
	ids := make(map[string]bool, len(c.People))
	for _, p := range c.People {
		ids[p.ID] = true
	}
	for _, p := range c.People {
		label := p.Name
		for _, s := range []string{p.Title, p.Department} {
			if s != "" {
				label += "\n" + s
			}
		}
		attrs := ""
		switch {
		case p.Problem != "":
			label += "\n[" + strings.ReplaceAll(p.Problem, "_", " ") + "]"
			attrs = `, color=red, fillcolor="#ffebe9", penwidth=2`
		case p.ID == c.HeadID:
			attrs = `, color="#0969da", fillcolor="#ddf4ff", penwidth=2`
		case p.Upcoming:
			label += "\n[upcoming]"
			attrs = `, style="rounded,filled,dashed", fillcolor="#dafbe1"`
		case p.Status == "terminated":
			label += "\n[terminated]"
			attrs = `, fillcolor="#f6f8fa", fontcolor="#8c959f"`
		}
		fmt.Fprintf(bw, "  %s [label=%s%s];\n", dotQuote(p.ID), dotQuote(label), attrs)
	}
	for _, p := range c.People {
		if p.ManagerID != "" && p.ID != c.HeadID && p.Problem == "" && ids[p.ManagerID] {
			fmt.Fprintf(bw, "  %s -> %s;\n", dotQuote(p.ManagerID), dotQuote(p.ID))
		}
	}
	bw.WriteString("}\n")
	return bw.Flush()
}

// dotQuote is a DOT double-quoted string; newlines become \n line breaks.
func dotQuote(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\n' {
			return ' '
		}
		return r
	}, s)
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, `"`, `\"`)
	s = strings.ReplaceAll(s, "\n", `\n`)
	return `"` + s + `"`
}
