package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// commandHelp is what `starter <command> --help` says above the flags, and
// the examples below them.
var commandHelp = map[string]struct{ about, examples string }{
	"org set": {
		about: "Create or update an org: its Justworks connection, head, notification list and daily schedule.\n" +
			"A new org needs every connection flag; an existing one keeps what you leave out.",
		examples: `  # connect a new org
  starter org set --org acme --name "Acme Inc." --justworks-url https://api.justworks.example \
    --username people-ops@acme.example --password-file pw.txt --totp-secret-file totp.txt \
    --head "Ada Lovelace" --notify people-ops@acme.example --daily 06:30 --tz Europe/Berlin --as you@acme.example

  # rotate the Justworks password
  starter org set --org acme --password-file new-pw.txt --as you@acme.example

  # pause the daily sync
  starter org set --org acme --no-daily --as you@acme.example`,
	},
	"user set": {
		about: "Give a person an access level in an org (owner > technical_owner > admin > member).",
		examples: `  starter user set --org acme --email tech@acme.example --level technical_owner --as owner@acme.example
  starter user set --org acme --email intern@acme.example --level member --as tech@acme.example

  # console sign-in: set the first owner's password, or print a one-time invitation link
  starter user set --org acme --email owner@acme.example --level owner --password-file pw.txt --as owner@acme.example
  starter user set --org acme --email ops@acme.example --level technical_owner --invite --as owner@acme.example`,
	},
	"serve": {
		about: "Run the people-ops web console until Ctrl-C: sign in, connect Justworks, sync now, history, org chart,\n" +
			"people and access. It needs what a worker needs (database, Temporal, ROSTERSYNC_SECRET_KEY, SMTP for invitations)\n" +
			"and migrates the database like one. ROSTERSYNC_CONSOLE_URL is where people reach it (https, or http on localhost).",
		examples: `  starter serve
  ROSTERSYNC_CONSOLE_ADDR=0.0.0.0:8080 ROSTERSYNC_CONSOLE_URL=https://rostersync.acme.example starter serve`,
	},
	"sync": {
		about: "Start a sync of an org, or join the one already running. With --wait, follow it to the end:\n" +
			"the step on stderr, the outcome and counts on stdout. Ctrl-C or --timeout stops waiting, not the sync.",
		examples: `  starter sync --org acme --as tech@acme.example
  starter sync --org acme --as tech@acme.example --wait --timeout 30m
  starter sync --org acme --as tech@acme.example --json | jq .outcome
  starter sync --org acme --as tech@acme.example --dry-run   # what a sync would apply now; applies nothing`,
	},
	"sync approve": {
		about: "Approve the change set of the org's sync held by a safety check: the sync applies exactly what was emailed,\n" +
			"then this command follows it to the end. --as (technical_owner or owner) is recorded as an operator action.",
		examples: `  starter status --org acme            # DECISION PENDING: what is held, and until when
  starter sync approve --org acme --as tech@acme.example --note "reorg, checked with HR"`,
	},
	"sync reject": {
		about:    "Reject the change set of the org's sync held by a safety check: nothing is applied, the list is emailed.",
		examples: `  starter sync reject --org acme --as tech@acme.example --note "Justworks export glitch"`,
	},
	"person set": {
		about: "Edit a field that Rostersync owns (org set --local-fields) of one stored person. Syncs keep the\n" +
			"value and list the Justworks value they kept out in the summary. Logged in the change log.",
		examples: `  starter org set --org acme --local-fields job_title --as tech@acme.example
  starter person set --org acme --id mem_0042 --field job_title --value "Staff Engineer" --as tech@acme.example`,
	},
	"status": {
		about: "Show an org's configuration (no secrets), its schedule and its last 10 runs. Read-only: never creates or migrates the database.",
		examples: `  starter status --org acme
  starter status --org acme --json`,
	},
	"roster export": {
		about: "Print the stored org chart (what the last applied sync left) as data, or draw it (SVG, or Graphviz DOT).\n" +
			"Read-only: never creates or migrates the database.",
		examples: `  starter roster export --org acme > acme.json
  starter roster export --org acme --format csv > acme.csv
  starter roster export --org acme --format svg > acme.svg
  starter roster export --org acme --format svg --as-of 2026-12-31 > acme-year-end.svg`,
	},
}

// helpRequest is -h/--help on a command: run prints it to stdout, exit 0.
type helpRequest struct{ fs *flag.FlagSet }

func (h *helpRequest) Error() string { return "help requested" }

func printHelp(w io.Writer, fs *flag.FlagSet) {
	name := strings.TrimPrefix(fs.Name(), "starter ")
	h := commandHelp[name]
	fmt.Fprintf(w, "usage: starter %s [flags]\n\n", name)
	if h.about != "" {
		fmt.Fprintf(w, "%s\n\n", h.about)
	}
	fmt.Fprintln(w, "flags:")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	if h.examples != "" {
		fmt.Fprintf(w, "\nexamples:\n%s\n", h.examples)
	}
	fmt.Fprintln(w, "\nConfiguration is the environment; see README.md. Exit codes: 0 ok, 1 failed, 2 bad usage or configuration, 3 refused, 4 stopped waiting (--timeout), 5 held for approval, 130 interrupted.")
}
