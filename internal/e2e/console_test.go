package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"

	"github.com/rostersync/rostersync/internal/justworks"
	"github.com/rostersync/rostersync/internal/sandbox"
	"github.com/rostersync/rostersync/workflows"
)

// The people-ops console in real Chromium (chromedp), served by the real
// `starter serve` against the real worker, Temporal dev server, PostgreSQL,
// SMTP peer and Justworks sandbox.

const (
	ownerPW  = "owner console password"
	memberPW = "member console password"
	member   = "member@acme.example"
)

// startConsole runs `starter serve` on a free port and returns its URL.
func (s *stack) startConsole() string {
	s.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(s.t, err)
	addr := ln.Addr().String()
	ln.Close()
	base := "http://" + addr
	logPath := filepath.Join(s.dir, "console.log")
	logf, err := os.Create(logPath)
	require.NoError(s.t, err)
	cmd := exec.Command(s.starterBin, "serve")
	cmd.Env = append(append([]string{}, s.env...), "ROSTERSYNC_CONSOLE_ADDR="+addr, "ROSTERSYNC_CONSOLE_URL="+base)
	cmd.Stdout, cmd.Stderr = logf, logf
	require.NoError(s.t, cmd.Start())
	s.t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		logf.Close()
		if s.t.Failed() {
			b, _ := os.ReadFile(logPath)
			if len(b) > 6000 {
				b = b[len(b)-6000:]
			}
			s.t.Logf("console log (tail):\n%s", b)
		}
	})
	require.Eventually(s.t, func() bool {
		res, err := http.Get(base + "/healthz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}, 60*time.Second, 100*time.Millisecond, "the console did not start; see its log")
	return base
}

// chrome is one headless Chromium; each user gets a tab in a browser context
// of their own (separate cookies), as separate people on separate machines.
type chrome struct {
	t     *testing.T
	alloc context.Context
	shots string // where screenshots go ("" = nowhere)
}

func newChrome(t *testing.T) *chrome {
	bin := requireChromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox,
		chromedp.WindowSize(1200, 860), chromedp.Flag("disable-dev-shm-usage", true))
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	// The first context starts the browser and must live for the test.
	root, cancelRoot := chromedp.NewContext(alloc)
	t.Cleanup(cancelRoot)
	require.NoError(t, chromedp.Do(root, chromedp.Navigate("about:blank")))
	return &chrome{t: t, alloc: root, shots: os.Getenv("ROSTERSYNC_CONSOLE_SCREENSHOT_DIR")}
}

// with is c for a subtest (helpers fail the test they run in).
func (c *chrome) with(t *testing.T) *chrome {
	cp := *c
	cp.t = t
	return &cp
}

// person opens a tab in a fresh browser context.
func (c *chrome) person() context.Context {
	ctx, cancel := chromedp.NewContext(c.alloc, chromedp.WithNewBrowserContext())
	c.t.Cleanup(cancel)
	require.NoError(c.t, chromedp.Do(ctx, chromedp.Navigate("about:blank")))
	return ctx
}

// do runs steps with a bound, so a missing element fails instead of hanging.
func (c *chrome) do(ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	require.NoError(c.t, chromedp.Do(tctx, steps...))
}

func (c *chrome) text(ctx context.Context, sel string) string {
	c.t.Helper()
	var err error
	// A node can go stale while the page settles after a navigation; ask again.
	for i := 0; i < 5; i++ {
		tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		var v string
		v, err = chromedp.Run(tctx, chromedp.Text(chromedp.CSS(sel)))
		cancel()
		if err == nil {
			return v
		}
		time.Sleep(200 * time.Millisecond)
	}
	require.NoError(c.t, err, "text of %s", sel)
	return ""
}

// clickAndLoad clicks sel and waits until the page it leads to has loaded
// (a mark set on the old document is gone and the new one is complete).
func (c *chrome) clickAndLoad(ctx context.Context, sel string) {
	c.t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("window.__rsOld = true"))
	require.NoError(c.t, err)
	// A node looked up just before the page settles can go stale ("could not
	// find node"); the click did not happen then, so try it again.
	for i := 0; ; i++ {
		tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		err = chromedp.Do(tctx, chromedp.Click(chromedp.CSS(sel)))
		cancel()
		if err == nil || i == 4 || !strings.Contains(strings.ToLower(err.Error()), "node") {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	require.NoError(c.t, err, "click %s", sel)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		done, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__rsOld === undefined && document.readyState === "complete"`))
		if err == nil && done {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.t.Fatalf("clicking %s loaded no new page", sel)
}

func (c *chrome) location(ctx context.Context) string {
	c.t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(c.t, err)
	return v
}

// count is how many elements match sel right now.
func (c *chrome) count(ctx context.Context, sel string) int {
	c.t.Helper()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", sel)))
	require.NoError(c.t, err)
	return n
}

// shot keeps a screenshot of the page for docs/ when asked to.
func (c *chrome) shot(ctx context.Context, name, sel string) {
	if c.shots == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(sel)))
	require.NoError(c.t, err)
	require.NoError(c.t, os.WriteFile(filepath.Join(c.shots, name), png, 0o644))
}

func (c *chrome) signIn(ctx context.Context, base, email, pw string) {
	c.t.Helper()
	c.do(ctx, chromedp.Navigate(base+"/signin"), chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SetValue(chromedp.CSS("#email"), email), chromedp.SetValue(chromedp.CSS("#password"), pw))
	c.clickAndLoad(ctx, "#signin")
}

// fill sets form fields by id.
func fill(fields map[string]string) []chromedp.Action[chromedp.Void] {
	var out []chromedp.Action[chromedp.Void]
	for id, v := range fields {
		out = append(out, chromedp.SetValue(chromedp.CSS("#"+id), v))
	}
	return out
}

func TestConsole(t *testing.T) {
	c := newChrome(t)
	s := newStack(t, sandbox.Config{People: 1000, Faults: sandbox.Faults{Latency: 300 * time.Millisecond}})
	// The operator connects the org with a password that does not work; the
	// owner then connects it for real in the console.
	wrong := filepath.Join(s.dir, "wrong-password")
	require.NoError(t, os.WriteFile(wrong, []byte("not the password\n"), 0o600))
	s.mustRun("org", "set", "--org", s.org, "--name", "Acme <Test> & Co", "--justworks-url", s.jwURL,
		"--username", "someone-else@acme.example", "--password-file", wrong, "--totp-secret-file", s.totpFile,
		"--head", "Nobody Yet", "--as", owner)
	ownerPWFile := filepath.Join(s.dir, "owner-pw")
	require.NoError(t, os.WriteFile(ownerPWFile, []byte(ownerPW+"\n"), 0o600))
	memberPWFile := filepath.Join(s.dir, "member-pw")
	require.NoError(t, os.WriteFile(memberPWFile, []byte(memberPW+"\n"), 0o600))
	s.mustRun("user", "set", "--org", s.org, "--email", owner, "--level", "owner", "--password-file", ownerPWFile, "--as", owner)
	s.mustRun("user", "set", "--org", s.org, "--email", member, "--level", "member", "--password-file", memberPWFile, "--as", owner)
	// A person whose name is HTML, to see that every page escapes it.
	var evilID string
	s.sandbox.Mutate(func(r *sandbox.Roster) {
		evilID = r.Hire(justworks.Member{GivenName: `<img src=x onerror="document.title='pwned'">`, FamilyName: "<b>Tables</b>",
			EmploymentType: justworks.EmploymentFullTime, Status: justworks.StatusActive, StartDate: "2026-11-02",
			ManagerID: strp(r.HeadID()), JobTitle: strp("Engineer <script>alert(1)</script>")})
	})
	base := s.startConsole()
	runs := func() int { return s.count("SELECT count(*) FROM sync_runs") }

	ownerTab := c.person()
	c.signIn(ownerTab, base, owner, ownerPW)
	require.Equal(t, base+"/orgs/"+s.org, c.location(ownerTab))
	require.Contains(t, c.text(ownerTab, "h1"), "Acme <Test> & Co", "the org name is shown as text")

	t.Run("connect Justworks, one invalid field first", func(t *testing.T) {
		c := c.with(t)
		var before []byte
		require.NoError(t, s.db.QueryRow("SELECT sealed_totp_secret FROM orgs WHERE id = $1", s.org).Scan(&before))
		c.do(ownerTab, chromedp.Navigate(base+"/orgs/"+s.org+"/connect"), chromedp.WaitVisible(chromedp.CSS("#username")))
		pw, _ := os.ReadFile(s.pwFile)
		secret, _ := os.ReadFile(s.totpFile)
		c.do(ownerTab, fill(map[string]string{"username": s.username, "password": strings.TrimSpace(string(pw)),
			"totp-secret": "this is not base32!", "head": s.head})...)
		c.clickAndLoad(ownerTab, "#save")
		c.do(ownerTab, chromedp.WaitVisible(chromedp.CSS("#totp-secret-error")))
		require.Contains(t, c.text(ownerTab, "#form-problems"), "Nothing was saved")
		require.Contains(t, c.text(ownerTab, "#totp-secret-error"), "not a valid base32")
		require.Equal(t, s.username, mustValue(t, ownerTab, "#username"), "entered values are kept")
		require.Empty(t, mustValue(t, ownerTab, "#password"), "a secret is never sent back to the browser")
		var after []byte
		var username string
		require.NoError(t, s.db.QueryRow("SELECT sealed_totp_secret, username FROM orgs WHERE id = $1", s.org).Scan(&after, &username))
		require.Equal(t, before, after)
		require.Equal(t, "someone-else@acme.example", username, "nothing was saved")
		c.shot(ownerTab, "console-connect.png", "form.settings fieldset")

		c.do(ownerTab, fill(map[string]string{"password": strings.TrimSpace(string(pw)), "totp-secret": strings.TrimSpace(string(secret)),
			"notify": "people@acme.example", "daily": "06:30", "tz": "Europe/Berlin"})...)
		c.do(ownerTab, chromedp.Click(chromedp.CSS("#daily-on")))
		c.clickAndLoad(ownerTab, "#save")
		require.Contains(t, c.text(ownerTab, ".flash"), "Saved.")
		require.Contains(t, c.text(ownerTab, "#password-state"), "Set on")
		require.Contains(t, c.text(ownerTab, "#head-match"), "checked against the roster after the first sync")
		require.NoError(t, s.db.QueryRow("SELECT username FROM orgs WHERE id = $1", s.org).Scan(&username))
		require.Equal(t, s.username, username)

		logins := s.sandbox.Stats().LoginAttempts
		c.clickAndLoad(ownerTab, "#test-connection")
		require.Contains(t, c.text(ownerTab, ".flash"), "Connection test passed")
		require.Equal(t, logins+1, s.sandbox.Stats().LoginAttempts, "the test logs in once")
	})

	var runID string
	t.Run("sync now, watch progress, see the completion message", func(t *testing.T) {
		c := c.with(t)
		c.do(ownerTab, chromedp.Navigate(base+"/orgs/"+s.org), chromedp.WaitVisible(chromedp.CSS("#sync-now")))
		c.clickAndLoad(ownerTab, "#sync-now")
		c.do(ownerTab, chromedp.WaitVisible(chromedp.CSS("#progress")))
		require.Contains(t, c.text(ownerTab, "#progress-detail"), "Step ")
		loc := c.location(ownerTab)
		_, runID, _ = strings.Cut(loc, "?run=")
		require.NotEmpty(t, runID, loc)
		// The page follows the sync live (console.js polls the progress
		// query and the fetch's heartbeat) without reloading: it shows the
		// steps as they pass, and the people fetched once the fetch is done.
		steps := map[string]bool{}
		shot := false
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			v, err := chromedp.Run(ownerTab, chromedp.Evaluate[string](`(document.getElementById("progress-detail") || {}).textContent || ""`))
			if err == nil && v == "" {
				break // the sync ended and the page reloaded
			}
			if step, _, ok := strings.Cut(strings.TrimPrefix(v, "Step "), " "); ok || v != "" {
				steps[step] = true
			}
			if !shot && (strings.HasPrefix(v, "Step fetch") || strings.Contains(v, "people fetched")) {
				c.shot(ownerTab, "console-progress.png", "main")
				shot = strings.Contains(v, "people fetched")
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("steps seen live: %v", steps)
		require.GreaterOrEqual(t, len(steps), 2, "the page did not follow the sync's steps: %v", steps)
		c.do(ownerTab, chromedp.WaitVisible(chromedp.CSS("#completion")))
		msg := c.text(ownerTab, "#completion")
		require.Contains(t, msg, "Sync complete")
		require.Contains(t, msg, "1001 hires")
		c.shot(ownerTab, "console-overview.png", "main")
		var via, by string
		require.NoError(t, s.db.QueryRow("SELECT started_via, requested_by FROM sync_runs WHERE run_id = $1", runID).Scan(&via, &by))
		require.Equal(t, "console", via)
		require.Equal(t, owner, by)
	})

	t.Run("open the run's changes", func(t *testing.T) {
		c := c.with(t)
		c.clickAndLoad(ownerTab, "#run-link")
		hires := c.text(ownerTab, "#changes-hire")
		require.Contains(t, hires, "Hires 1000 of 1001", "a run's page lists up to 1,000 of each kind and says how many there are")
		require.Contains(t, hires, `<img src=x onerror="document.title='pwned'"> <b>Tables</b>`, "HTML in a name is text")
		require.Zero(t, c.count(ownerTab, "main img, main b, main script"), "no element came from a name")
		href, err := chromedp.Run(ownerTab, chromedp.AttributeValue(chromedp.CSS("#temporal-link"), "href"))
		require.NoError(t, err)
		require.Contains(t, href.Value, "/workflows/"+workflows.WorkflowID(s.org)+"/"+runID)
		c.do(ownerTab, chromedp.Navigate(base+"/orgs/"+s.org+"/history"), chromedp.WaitVisible(chromedp.CSS("#runs")))
		row := c.text(ownerTab, "#runs tbody tr")
		require.Contains(t, row, owner)
		require.Contains(t, row, "console")
		require.Contains(t, row, "Applied")
		c.shot(ownerTab, "console-history.png", "main")
	})

	t.Run("find a person in the org chart", func(t *testing.T) {
		c := c.with(t)
		c.do(ownerTab, chromedp.Navigate(base+"/orgs/"+s.org+"/chart"), chromedp.WaitVisible(chromedp.CSS("#q")),
			chromedp.SetValue(chromedp.CSS("#q"), "Tables"))
		c.clickAndLoad(ownerTab, "#search")
		require.Contains(t, c.text(ownerTab, "#matches"), "<b>Tables</b>")
		c.do(ownerTab, chromedp.WaitVisible(chromedp.CSS("#p-"+evilID+".match")))
		require.Contains(t, c.text(ownerTab, "#p-"+evilID), "Engineer <script>alert(1)</script>")
		require.Zero(t, c.count(ownerTab, "main img, main b, main script"))
		title, err := chromedp.Run(ownerTab, chromedp.Title())
		require.NoError(t, err)
		require.NotEqual(t, "pwned", title)
		c.do(ownerTab, chromedp.SetValue(chromedp.CSS("#q"), s.head))
		c.clickAndLoad(ownerTab, "#search")
		c.do(ownerTab, chromedp.WaitVisible(chromedp.CSS("#p-"+s.sandbox.Head().ID+".match")))
		c.shot(ownerTab, "console-chart.png", "main")
	})

	t.Run("a member sees no sync button and a forged POST is refused", func(t *testing.T) {
		c := c.with(t)
		m := c.person()
		c.signIn(m, base, member, memberPW)
		c.do(m, chromedp.WaitVisible(chromedp.CSS("#why-no-sync")))
		require.Zero(t, c.count(m, "#sync-now"))
		require.Contains(t, c.text(m, "#why-no-sync"), "member")
		n := runs()
		status, err := chromedp.Run(m, chromedp.Evaluate[int](fmt.Sprintf(
			`fetch("/orgs/%s/sync", {method: "POST", headers: {"Content-Type": "application/x-www-form-urlencoded"}}).then(r => r.status)`, s.org),
			chromedp.EvalAwaitPromise))
		require.NoError(t, err)
		require.Equal(t, http.StatusForbidden, status)
		require.Equal(t, n, runs(), "no run was recorded")
		desc, err := s.tc.DescribeWorkflow(context.Background(), workflows.WorkflowID(s.org), "")
		require.NoError(t, err)
		d := desc.RawResponse
		require.Equal(t, runID, d.GetWorkflowExecutionInfo().GetExecution().GetRunId(), "no workflow was started")
		require.Equal(t, enums.WORKFLOW_EXECUTION_STATUS_COMPLETED, d.GetWorkflowExecutionInfo().GetStatus())
		// Pages an owner reaches are refused too.
		c.do(m, chromedp.Navigate(base+"/orgs/"+s.org+"/people"), chromedp.WaitVisible(chromedp.CSS("#error-message")))
		require.Contains(t, c.text(m, "#error-message"), "managed by owners")

		t.Run("an expired session", func(t *testing.T) {
			c := c.with(t)
			_, err := s.db.Exec("UPDATE console_sessions SET expiry = now() - interval '1 second'")
			require.NoError(t, err)
			c.do(m, chromedp.Navigate(base+"/orgs/"+s.org+"/history"), chromedp.WaitVisible(chromedp.CSS("#expired")))
			require.Contains(t, c.location(m), "/signin")
			require.Contains(t, c.text(m, "#expired"), "Your session has ended")
		})
	})

	t.Run("a cross-site POST is refused", func(t *testing.T) {
		c := c.with(t)
		// Another site (another origin) posts a form to the console in the
		// signed-in owner's browser.
		evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `<!doctype html><form method="post" action="%s/orgs/%s/sync"><button id="go">Win a prize</button></form>`, base, s.org)
		}))
		defer evil.Close()
		o := c.person()
		c.signIn(o, base, owner, ownerPW)
		n := runs()
		c.do(o, chromedp.Navigate(evil.URL), chromedp.WaitVisible(chromedp.CSS("#go")))
		c.clickAndLoad(o, "#go")
		require.Contains(t, c.text(o, "#error-message"), "came from another site")
		time.Sleep(500 * time.Millisecond)
		require.Equal(t, n, runs(), "nothing was started")
	})

	t.Run("a throttled sign-in", func(t *testing.T) {
		c := c.with(t)
		x := c.person()
		for i := 0; i < 5; i++ {
			c.signIn(x, base, member, fmt.Sprintf("wrong guess %d", i))
			require.Contains(t, c.text(x, "#signin-error"), "do not match")
		}
		c.signIn(x, base, member, memberPW)
		require.Contains(t, c.text(x, "#signin-error"), "Too many failed sign-ins")
		require.Contains(t, c.location(x), "/signin")
	})
}

func mustValue(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(sel)))
	require.NoError(t, err)
	return v
}
