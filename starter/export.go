package main

import (
	"context"
	"io"
)

// rosterExport prints the stored org chart (what the last applied sync left).
func rosterExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("roster export", stderr)
	id := fs.String("org", "", "org id")
	format := fs.String("format", "json", "json | csv")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required("org", *id); err != nil {
		return err
	}
	if *format != "json" && *format != "csv" {
		return usageErr("--format %q: use json or csv", *format)
	}
	e, err := newEnv()
	if err != nil {
		return err
	}
	defer e.Close()
	st, _, err := e.readOrg(ctx, *id)
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
	return writeJSON(stdout, x)
}
