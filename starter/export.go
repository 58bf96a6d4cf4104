package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/rostersync/rostersync/internal/orgchart"
	"github.com/rostersync/rostersync/internal/store"
)

// rosterExport prints the stored org chart (what the last applied sync left):
// as data (JSON, CSV) or as a picture (SVG drawn by internal/orgchart, or
// Graphviz DOT).
func rosterExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("roster export", stderr)
	id := fs.String("org", "", "org id")
	format := fs.String("format", "json", "json | csv | svg | dot")
	asOf := fs.String("as-of", "", "the chart as it stood (or will stand) on YYYY-MM-DD, in the org's time zone (default: as stored now)")
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
	var day time.Time
	if *asOf != "" {
		var err error
		if day, err = time.Parse(time.DateOnly, *asOf); err != nil {
			return usageErr("--as-of %q: use a date YYYY-MM-DD", *asOf)
		}
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
	if *format == "csv" && *asOf == "" {
		return st.ExportCSV(ctx, *id, stdout)
	}
	loc, err := time.LoadLocation(org.TimeZone)
	if err != nil || org.TimeZone == "" {
		loc = time.UTC
	}
	now := time.Now().In(loc)
	var x store.Export
	if *asOf != "" {
		x, err = st.ExportAsOf(ctx, *id, day)
		now = day
	} else {
		x, err = st.Export(ctx, *id)
	}
	if err != nil {
		return err
	}
	switch *format {
	case "json":
		return writeJSON(stdout, x)
	case "csv":
		return store.WriteCSV(stdout, x.People)
	}
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
