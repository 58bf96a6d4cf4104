// Command starter is Rostersync's CLI: connect an org (org set), manage who may
// sync it (user set), start or join a sync (sync), and read what is stored
// (status, roster export). Configuration is the environment; see README.md.
//
// Exit codes: 0 success (applied / no_changes / previewed), 1 failed, 2 bad
// usage or configuration, 3 refused (access level, safety limit, a rejected
// or expired hold), 4 stopped waiting (sync --timeout), 5 held: the sync waits
// for approve or reject, 130 interrupted (Ctrl-C).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/version"
)

const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitRefused     = 3
	exitGaveUp      = 4   // sync --wait --timeout passed; the sync goes on
	exitHeld        = 5   // the sync waits for approve or reject
	exitInterrupted = 130 // Ctrl-C (128 + SIGINT), as shells report it
)

// exitError carries an exit code with its message.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// exitCode maps an error to the exit code: its own, or 3 for the access
// policy's refusal.
func exitCode(err error) int {
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		return ee.code
	case domain.IsRefused(err):
		return exitRefused
	}
	return exitFailed
}

func usageErr(format string, args ...any) error {
	return &exitError{code: exitUsage, msg: fmt.Sprintf(format, args...)}
}

func refusedErr(format string, args ...any) error {
	return &exitError{code: exitRefused, msg: fmt.Sprintf(format, args...)}
}

const usage = `usage: starter <command> [flags]
       starter -h | --help | --version

commands:
  org set       create or update an org's connection and sync settings
  user set      give a person an access level in an org
  sync          start (or join) a sync of an org; --dry-run previews it
  sync approve  approve the change set of a sync held by a safety check
  sync reject   reject it: nothing is applied
  person set    edit a field Rostersync owns (org set --local-fields) of one person
  status        show an org's config (no secrets), schedule and last runs
  roster export print the stored org chart as JSON or CSV, or draw it (SVG, DOT)
  serve         run the people-ops web console

examples:
  starter org set --org acme --name "Acme Inc." --justworks-url URL --username U \
    --password-file pw.txt --totp-secret-file totp.txt --head "Ada Lovelace" --as you@acme.example
  starter sync --org acme --as you@acme.example --wait
  starter status --org acme

Run 'starter <command> --help' for its flags and examples. Configuration is
the environment (DATABASE_URL, TEMPORAL_ADDRESS, ROSTERSYNC_SECRET_KEY, ...;
see README.md).`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmds := map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"org set":       orgSet,
		"user set":      userSet,
		"sync":          syncCmd,
		"sync approve":  syncApprove,
		"sync reject":   syncReject,
		"person set":    personSet,
		"status":        status,
		"roster export": rosterExport,
		"serve":         serve,
	}
	if len(args) >= 1 {
		switch args[0] {
		case "-h", "-help", "--help", "help":
			if len(args) == 1 {
				fmt.Fprintln(stdout, usage)
				return exitOK
			}
			// `starter help sync` is `starter sync --help`.
			args = append(append([]string(nil), args[1:]...), "--help")
		case "-version", "--version", "version":
			fmt.Fprintln(stdout, version.String("starter"))
			return exitOK
		}
	}
	var cmd func(context.Context, []string, io.Writer, io.Writer) error
	rest := args
	if len(args) >= 2 {
		if c, ok := cmds[args[0]+" "+args[1]]; ok {
			cmd, rest = c, args[2:]
		}
	}
	if cmd == nil && len(args) >= 1 {
		if c, ok := cmds[args[0]]; ok {
			cmd, rest = c, args[1:]
		}
	}
	if cmd == nil {
		if len(args) > 0 {
			fmt.Fprintf(stderr, "starter: unknown command %q\n\n", strings.Join(args[:min(len(args), 2)], " "))
		}
		fmt.Fprintln(stderr, usage)
		return exitUsage
	}
	if slices.Contains(rest, "--version") || slices.Contains(rest, "-version") {
		fmt.Fprintln(stdout, version.String("starter"))
		return exitOK
	}
	out := &countingWriter{w: stdout}
	err := cmd(ctx, rest, out, stderr)
	if err == nil {
		return exitOK
	}
	var help *helpRequest
	if errors.As(err, &help) {
		printHelp(stdout, help.fs)
		return exitOK
	}
	code := exitCode(err)
	fmt.Fprintln(stderr, "starter:", err)
	// A --json command that failed before printing its result still
	// prints JSON, so a script reading stdout always gets an object.
	if wantsJSON(rest) && out.n == 0 {
		_ = writeJSON(stdout, struct {
			Error    string `json:"error"`
			ExitCode int    `json:"exit_code"`
		}{err.Error(), code})
	}
	return code
}

func wantsJSON(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if a == "--json" || a == "-json" || a == "--json=true" || a == "-json=true" {
			return true
		}
	}
	return false
}

// countingWriter remembers whether anything was written.
type countingWriter struct {
	w io.Writer
	n int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += n
	return n, err
}

// newFlags is a flag set that reports errors instead of exiting and prints
// nothing itself: parse turns -h/--help into a helpRequest (usage on stdout,
// exit 0) and a bad flag into a usage error (stderr, exit 2).
func newFlags(name string, _ io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("starter "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return &helpRequest{fs: fs}
		}
		return usageErr("%v (run '%s --help' for its flags)", err, fs.Name())
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected arguments: %s (run '%s --help' for its flags)", strings.Join(fs.Args(), " "), fs.Name())
	}
	return nil
}

// required checks that each named flag has a non-empty value.
func required(pairs ...string) error {
	var missing []string
	for i := 0; i+1 < len(pairs); i += 2 {
		if strings.TrimSpace(pairs[i+1]) == "" {
			missing = append(missing, "--"+pairs[i])
		}
	}
	if len(missing) > 0 {
		return usageErr("missing %s", strings.Join(missing, ", "))
	}
	return nil
}
