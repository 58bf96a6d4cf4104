// Command justworks-sandbox serves the Justworks contract from a generated
// company, for the demo and benchmarks. Every flag is documented in
// internal/sandbox/README.md; run with -h for the list.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/rostersync/rostersync/internal/sandbox"
	"github.com/rostersync/rostersync/internal/version"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "justworks-sandbox:", err)
		os.Exit(1)
	}
}

const usageHead = `usage: justworks-sandbox [flags]

Serves the Justworks contract from a generated company (a stand-in for
Justworks in the demo, the tests and the benchmarks). Every flag is described in
internal/sandbox/README.md.

flags:
`

const usageExamples = `
examples:
  justworks-sandbox --people 300 --seed 7 --print-head
  justworks-sandbox --addr 127.0.0.1:8090 --people 300 --seed 7 --write-secrets .tmp/sandbox
  justworks-sandbox --unavailable-every 5 --rate-limit-every 7   # inject faults
`

type options struct {
	addr, company, username                  string
	people                                   int
	seed                                     int64
	password, passwordFile                   string
	totpSecret, totpSecretFile, writeSecrets string
	printHead, logRequests                   bool
	rateLimit                                float64
	rateWindow                               string
	faults                                   sandbox.Faults
}

func parse(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("justworks-sandbox", flag.ContinueOnError)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8090", "listen address")
	fs.IntVar(&o.people, "people", 300, fmt.Sprintf("company size, 1..%d", sandbox.MaxPeople))
	fs.Int64Var(&o.seed, "seed", 1, "generator seed (same seed and day, same company)")
	fs.StringVar(&o.company, "company", "", "company name (default: picked by the seed)")
	fs.StringVar(&o.username, "username", sandbox.DefaultUsername, "the sandbox user's login")
	fs.StringVar(&o.password, "password", "", "the user's password (or --password-file, or env SANDBOX_PASSWORD; generated when none)")
	fs.StringVar(&o.passwordFile, "password-file", "", "file holding the password")
	fs.StringVar(&o.totpSecret, "totp-secret", "", "base32 TOTP setup key (or --totp-secret-file, or env SANDBOX_TOTP_SECRET; generated when none)")
	fs.StringVar(&o.totpSecretFile, "totp-secret-file", "", "file holding the TOTP setup key")
	fs.StringVar(&o.writeSecrets, "write-secrets", "", "write username, password, totp-secret, head and url files (mode 0600) into this directory")
	fs.BoolVar(&o.printHead, "print-head", false, "print the head's display name to stdout and exit")
	fs.BoolVar(&o.logRequests, "log-requests", false, "log every request (method, path, status, duration)")
	fs.Float64Var(&o.rateLimit, "rate-limit", sandbox.DefaultRateLimit, "per-token requests per second; 0 or negative = off")
	fs.StringVar(&o.rateWindow, "rate-window", sandbox.RateBucket, "how the rate limit counts: bucket (burst of one second's worth) or rolling (at most N in any rolling second)")
	f := &o.faults
	fs.DurationVar(&f.Latency, "latency", 0, "latency added to every request")
	fs.IntVar(&f.UnavailableEvery, "unavailable-every", 0, "every Nth request answers 503 unavailable")
	fs.DurationVar(&f.UnavailableFrom, "unavailable-from", 0, "start of a 5xx window, after server start")
	fs.DurationVar(&f.UnavailableFor, "unavailable-for", 0, "length of the 5xx window (0 = no window)")
	fs.IntVar(&f.RateLimitEvery, "rate-limit-every", 0, "every Nth request answers 429 rate_limited")
	fs.DurationVar(&f.RetryAfter, "retry-after", time.Second, "Retry-After of injected 429s (rounded up to seconds)")
	fs.IntVar(&f.TokenExpiryAfter, "token-expiry-after", 0, "tokens expire after N authenticated requests")
	fs.DurationVar(&f.CursorExpiry, "cursor-expiry", sandbox.DefaultCursorExpiry, "cursor lifetime")
	fs.IntVar(&f.CursorExpireEvery, "cursor-expire-every", 0, "every Nth members request with a cursor answers cursor_expired")
	fs.IntVar(&f.MutateEvery, "mutate-every", 0, "every Nth members page first hires, terminates or moves someone")
	fs.IntVar(&f.TruncateTo, "truncate-to", 0, "serve only the first N members (by id)")
	fs.IntVar(&f.ShortPageEvery, "short-page-every", 0, "every Nth members page is short (empty or half)")
	fs.BoolVar(&f.Forbidden, "forbidden", false, "members endpoints answer 403 forbidden")
	fs.BoolVar(&f.Login.Unavailable, "login-unavailable", false, "the login endpoint alone answers 503")
	fs.DurationVar(&f.Login.Hang, "login-hang", 0, "the login endpoint alone holds each request this long")
	fs.BoolVar(&f.Login.JudgeThenUnavailable, "login-judge-then-unavailable", false, "a password step is judged (a wrong one counts), then answered 503")
	fs.DurationVar(&f.Login.SlowRejection, "login-slow-rejection", 0, "a wrong password counts at once but is answered only after this delay")
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			// -h/--help: usage with examples on stdout, exit 0.
			fmt.Fprint(os.Stdout, usageHead)
			fs.SetOutput(os.Stdout)
			fs.PrintDefaults()
			fmt.Fprint(os.Stdout, usageExamples)
			return o, err
		}
		return o, fmt.Errorf("%w (run 'justworks-sandbox --help' for the flags)", err)
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if o.rateLimit <= 0 {
		o.rateLimit = -1
	}
	return o, nil
}

// secret picks a flag value, else a file's first line, else an environment variable.
func secret(flagValue, file, env string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", err
		}
		return strings.TrimSpace(string(b)), nil
	}
	return os.Getenv(env), nil
}

func run(args []string) error {
	for _, a := range args {
		if a == "--version" || a == "-version" {
			fmt.Println(version.String("justworks-sandbox"))
			return nil
		}
	}
	o, err := parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	password, err := secret(o.password, o.passwordFile, "SANDBOX_PASSWORD")
	if err != nil {
		return fmt.Errorf("read password: %w", err)
	}
	totpSecret, err := secret(o.totpSecret, o.totpSecretFile, "SANDBOX_TOTP_SECRET")
	if err != nil {
		return fmt.Errorf("read TOTP secret: %w", err)
	}
	generated := false
	if password == "" {
		if password, err = randomPassword(); err != nil {
			return err
		}
		generated = true
	}
	if totpSecret == "" {
		if totpSecret, err = sandbox.GenerateTOTPSecret(); err != nil {
			return err
		}
		generated = true
	}

	srv, err := sandbox.New(sandbox.Config{
		People: o.people, Seed: o.seed, CompanyName: o.company,
		Username: o.username, Password: password, TOTPSecret: totpSecret,
		RateLimit: o.rateLimit, RateWindow: o.rateWindow, Faults: o.faults,
	})
	if err != nil {
		return err
	}
	head := srv.Head()
	headName := strings.TrimSpace(head.GivenName + " " + head.FamilyName)
	if head.PreferredName != nil {
		headName = strings.TrimSpace(*head.PreferredName + " " + head.FamilyName)
	}
	if o.printHead {
		fmt.Println(headName)
		return nil
	}

	log, err := zap.NewProduction()
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()

	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	url := "http://" + ln.Addr().String()
	if o.writeSecrets != "" {
		if err := writeSecrets(o.writeSecrets, map[string]string{
			"username": o.username, "password": password, "totp-secret": totpSecret, "head": headName, "url": url,
		}); err != nil {
			return err
		}
		log.Info("wrote sandbox credentials", zap.String("dir", o.writeSecrets))
	} else if generated {
		// A sandbox's own throwaway credentials: printed so a demo can log in.
		fmt.Fprintf(os.Stderr, "sandbox credentials (generated): username=%s password=%s totp-secret=%s\n", o.username, password, totpSecret)
	}

	company := srv.Company()
	log.Info("justworks sandbox listening",
		zap.String("url", url), zap.String("company", company.Name), zap.Int("people", o.people),
		zap.Int64("seed", o.seed), zap.String("head", headName), zap.String("head_id", head.ID),
		zap.Float64("rate_limit", o.rateLimit), zap.String("rate_window", o.rateWindow), zap.Any("faults", o.faults))

	var handler http.Handler = srv
	if o.logRequests {
		handler = logRequests(log, srv)
	}
	hs := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", zap.Any("stats", srv.Stats()))
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return hs.Shutdown(shutdownCtx)
}

func writeSecrets(dir string, files map[string]string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for name, v := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v+"\n"), 0o600); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	return nil
}

func randomPassword() (string, error) {
	s, err := sandbox.GenerateTOTPSecret() // 32 random base32 characters serve as a password too
	if err != nil {
		return "", err
	}
	return strings.ToLower(s[:20]), nil
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func logRequests(log *zap.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		// The path only: queries carry cursors, bodies carry credentials.
		log.Info("request", zap.String("method", r.Method), zap.String("path", r.URL.Path),
			zap.Int("status", sw.status), zap.Duration("took", time.Since(start)))
	})
}
