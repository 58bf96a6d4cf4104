// Command starter is Rostersync's CLI: connect an org (org set), manage who may
// sync it (user set), start or join a sync (sync), and read what is stored
// (status, roster export). Configuration is the environment; see README.md.
//
// Exit codes: 0 success (applied / no_changes), 1 failed, 2 bad usage or
// configuration, 3 refused (access level or safety limit).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/rostersync/rostersync/internal/domain"
)

const (
	exitOK      = 0
	exitFailed  = 1
	exitUsage   = 2
	exitRefused = 3
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

commands:
  org set       create or update an org's connection and sync settings
  user set      give a person an access level in an org
  sync          start (or join) a sync of an org
  status        show an org's config (no secrets), schedule and last runs
  roster export print the stored org chart as JSON or CSV

Run 'starter <command> -h' for its flags.`

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
		"status":        status,
		"roster export": rosterExport,
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
		fmt.Fprintln(stderr, usage)
		return exitUsage
	}
	err := cmd(ctx, rest, stdout, stderr)
	if err == nil {
		return exitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitUsage
	}
	fmt.Fprintln(stderr, "starter:", err)
	return exitCode(err)
}

// newFlags is a flag set that reports errors instead of exiting.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("starter "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageErr("%v", err)
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected arguments: %s", strings.Join(fs.Args(), " "))
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
