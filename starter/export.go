package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/rostersync/rostersync/internal/orgchart"
)

// rosterExport prints the stored org chart (what the last applied sync left):
// as data (JSON, CSV) or as a picture (SVG drawn by internal/orgchart, or
// Graphviz DOT).
func rosterExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("roster export", stderr)
	id := fs.String("org", "", "org id")
	format := fs.String("format", "json", "json | csv | svg | dot")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required("org", *id); err != nil {
		return err
	}
	switch *format {
	case "json", "csv", "svg", "dot":
	default:
		return usageErr("--format %q: use json, csv, svg or dot", *format)
	}
	e, err := newEnv()
	if err != nil {
		return err
	}
	defer e.Close()
	st, org, err := e.readOrg(ctx, *id)
	if err != nil {
		return err
	}
	if *format == "csv" {
		return st.ExportCSV(ctx, *id, stdout)
	}
	x, err := st.Export(ctx, *id)
	if err != nil {
		return err
	}
	if *format == "json" {
		return writeJSON(stdout, x)
	}
	loc, err := time.LoadLocation(org.TimeZone)
	if err != nil || org.TimeZone == "" {
		loc = time.UTC
	}
	now := time.Now().In(loc)
	name := org.Name
	if name == "" {
		name = org.ID
	}
	chart := orgchart.FromExport(x, fmt.Sprintf("%s as of %s", name, now.Format(time.DateOnly)), now)
	if *format == "dot" {
		return orgchart.WriteDOT(stdout, chart)
	}
	return orgchart.WriteSVG(stdout, chart)
}
