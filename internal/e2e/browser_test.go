package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/proto"

	"github.com/rostersync/rostersync/internal/codec"
	"github.com/rostersync/rostersync/internal/sandbox"
	"github.com/rostersync/rostersync/internal/testenv"
)

// TestTemporalWebShowsDecodedHistory is the operator's view of a finished sync:
// Temporal Web (the dev server's UI, with the worker's codec endpoint) in
// headless Chromium must show the sync's named steps and its decrypted input,
// which history on the server holds only AES-GCM encrypted.
//
// The screenshot goes to a temporary directory that is kept (and logged) when
// the test fails; ROSTERSYNC_SCREENSHOT_DIR=dir also saves it there.
func TestTemporalWebShowsDecodedHistory(t *testing.T) {
	chromium := requireChromium(t)
	web := startWebDevServer(t)
	// newStack dials (and points its worker at) the test command's dev
	// server; this test needs one with the UI, so it gets this one instead.
	t.Setenv("ROSTERSYNC_TEST_TEMPORAL_ADDRESS", web.addr)
	// The worker serves the codec endpoint for the UI's origin.
	s := newStack(t, sandbox.Config{People: 40}, withEnv(
		"ROSTERSYNC_CODEC_ADDR="+web.codecAddr,
		"ROSTERSYNC_CODEC_ORIGINS="+web.uiURL,
		"ROSTERSYNC_WEB_URL="+web.uiURL,
	))
	waitForCodec(t, web.codecURL)

	s.setupOrg()
	r := s.sync(tech)
	require.Equal(t, 0, r.code, "%+v", r)
	require.Equal(t, "applied", r.Outcome)

	// Without the codec, history says nothing: the input is sealed, and
	// neither the requester nor the input's field names appear anywhere.
	rawHistoryIsEncrypted(t, web.addr, r.WorkflowID, r.RunID, tech)

	var (
		mu          sync.Mutex
		decodeCalls []string
	)
	b := startBrowser(t, chromium, 1600, 1800, func(m cdpMsg) {
		if m.Method != "Network.requestWillBeSent" {
			return
		}
		var p struct {
			Request struct {
				URL    string `json:"url"`
				Method string `json:"method"`
			} `json:"request"`
		}
		if json.Unmarshal(m.Params, &p) == nil && strings.HasPrefix(p.Request.URL, web.codecURL) && p.Request.Method == http.MethodPost {
			mu.Lock()
			decodeCalls = append(decodeCalls, p.Request.URL)
			mu.Unlock()
		}
	})

	page := fmt.Sprintf("%s/namespaces/default/workflows/%s/%s/history", web.uiURL, url.PathEscape(r.WorkflowID), url.PathEscape(r.RunID))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	require.NoError(t, b.navigate(ctx, page))

	want := []string{
		// The named steps: activity types (plain in history) ...
		"Authorize", "Login", "FetchMembers", "ResolveOrgTree", "ApplyRoster", "SendSyncSummary",
		// ... and their summaries (encrypted like any payload).
		"Authorize " + tech + " for " + s.org,
		"Fetch all members of " + s.org + " into staging",
		"Resolve the org tree of " + s.org + " from " + fmt.Sprintf("%q", s.head),
		"Apply the roster of " + s.org + " to the org chart",
		"Email the applied summary of " + s.org,
		// The decoded input, as the UI pretty-prints it.
		`"org": "` + s.org + `"`,
		`"requested_by": "` + tech + `"`,
	}
	text, missing := waitForText(ctx, b, want, 60*time.Second)
	shot, shotErr := b.screenshot(ctx)
	saveScreenshot(t, shot, shotErr, text)
	require.Empty(t, missing, "Temporal Web (%s) did not show %q within 60s; page text:\n%s", page, missing, text)

	mu.Lock()
	calls := slices.Clone(decodeCalls)
	mu.Unlock()
	require.NotEmpty(t, calls, "the page showed decoded payloads without calling the codec endpoint %s", web.codecURL)
	t.Logf("Temporal Web called the codec endpoint %d times (%s)", len(calls), calls[0])
}

// webDevServer is a Temporal dev server with its Web UI, whose codec endpoint
// is codecURL (served by a worker started later).
type webDevServer struct {
	addr      string // gRPC host:port
	uiURL     string // http://127.0.0.1:port
	codecAddr string // host:port for ROSTERSYNC_CODEC_ADDR
	codecURL  string
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// startWebDevServer starts the pinned dev server like scripts/lib.sh does, but
// with the UI on a free port and --ui-codec-endpoint set.
func startWebDevServer(t *testing.T) webDevServer {
	t.Helper()
	bin := testenv.Bin(t, "temporal")
	port, uiPort, codecPort := freePort(t), freePort(t), freePort(t)
	w := webDevServer{
		addr:      "127.0.0.1:" + port,
		uiURL:     "http://127.0.0.1:" + uiPort,
		codecAddr: "127.0.0.1:" + codecPort,
		codecURL:  "http://127.0.0.1:" + codecPort,
	}
	logPath := filepath.Join(t.TempDir(), "temporal.log")
	srv := startProcess(t, logPath, bin, "server", "start-dev", "--ip", "127.0.0.1", "--port", port,
		"--http-port", freePort(t), "--metrics-port", freePort(t), "--log-level", "warn",
		"--ui-ip", "127.0.0.1", "--ui-port", uiPort, "--ui-codec-endpoint", w.codecURL,
		"--search-attribute", "RostersyncOrg=Keyword", "--search-attribute", "RostersyncOutcome=Keyword")

	// Ready when the UI serves its settings (with our codec endpoint) and the
	// frontend answers a health check.
	deadline := time.Now().Add(60 * time.Second)
	var settings struct {
		Codec struct {
			Endpoint string `json:"Endpoint"`
		} `json:"Codec"`
	}
	for {
		err := getJSON(w.uiURL+"/api/v1/settings", &settings)
		if err == nil {
			var c client.Client
			c, err = client.Dial(client.Options{HostPort: w.addr, Logger: quietLogger{}})
			if err == nil {
				_, err = c.CheckHealth(context.Background(), &client.CheckHealthRequest{})
				c.Close()
			}
		}
		if err == nil {
			break
		}
		if srv.exited() || time.Now().After(deadline) {
			out, _ := os.ReadFile(logPath)
			t.Fatalf("the Temporal dev server with UI did not come up on %s / %s: %v\n%s", w.addr, w.uiURL, err, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
	require.Equal(t, w.codecURL, settings.Codec.Endpoint, "the UI's codec endpoint")
	return w
}

// waitForCodec waits until the worker's codec endpoint answers.
func waitForCodec(t *testing.T, codecURL string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(codecURL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the worker's codec endpoint %s did not answer within 30s: %v", codecURL, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type process struct{ done chan struct{} }

func (p process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// startProcess runs bin with args, output to logPath; on cleanup it interrupts it, kills it after 10s, and logs the tail
// of its output if the test failed.
func startProcess(t *testing.T, logPath, bin string, args ...string) process {
	t.Helper()
	logf, err := os.Create(logPath)
	require.NoError(t, err)
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	require.NoError(t, cmd.Start())
	p := process{done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-p.done
		}
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			if len(b) > 4000 {
				b = b[len(b)-4000:]
			}
			t.Logf("%s log (tail):\n%s", filepath.Base(bin), b)
		}
	})
	return p
}

func getJSON(u string, v any) error {
	resp, err := http.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// rawHistoryIsEncrypted reads the run's history with a client that has no
// codec, as Temporal Web without a codec endpoint does.
func rawHistoryIsEncrypted(t *testing.T, addr, workflowID, runID string, secrets ...string) {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: addr, Logger: quietLogger{}})
	require.NoError(t, err)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	it := c.GetWorkflowHistory(ctx, workflowID, runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	events := 0
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		events++
		if st := ev.GetWorkflowExecutionStartedEventAttributes(); st != nil {
			ps := st.GetInput().GetPayloads()
			require.NotEmpty(t, ps, "the workflow has no input")
			for _, p := range ps {
				require.Equal(t, codec.MetadataEncodingEncrypted, string(p.GetMetadata()["encoding"]), "input payload encoding")
			}
		}
		raw, err := proto.Marshal(ev)
		require.NoError(t, err)
		for _, s := range append(slices.Clone(secrets), "requested_by") {
			require.False(t, bytes.Contains(raw, []byte(s)), "history event %d (%s) holds %q in clear", ev.GetEventId(), ev.GetEventType(), s)
		}
	}
	require.Greater(t, events, 10, "history of %s/%s", workflowID, runID)
}

// waitForText polls the page's visible text until it holds every string in
// want, or until timeout; it returns the last text and what is still missing.
func waitForText(ctx context.Context, b *browser, want []string, timeout time.Duration) (string, []string) {
	deadline := time.Now().Add(timeout)
	var text string
	var missing []string
	for {
		var got string
		if err := b.eval(ctx, `document.body ? document.body.innerText : ""`, &got); err == nil {
			text = got
		}
		missing = missing[:0]
		for _, w := range want {
			if !strings.Contains(text, w) {
				missing = append(missing, w)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) || ctx.Err() != nil {
			return text, missing
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// saveScreenshot writes the screenshot (and the page's text) to a temporary
// directory that is removed after a passing test and kept after a failing
// one, and to ROSTERSYNC_SCREENSHOT_DIR when that is set.
func saveScreenshot(t *testing.T, png []byte, shotErr error, text string) {
	t.Helper()
	if shotErr != nil {
		t.Errorf("screenshot: %v", shotErr)
		return
	}
	dir, err := os.MkdirTemp("", "rostersync-web-")
	require.NoError(t, err)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kept %s", dir)
			return
		}
		_ = os.RemoveAll(dir)
	})
	dirs := []string{dir}
	if d := os.Getenv("ROSTERSYNC_SCREENSHOT_DIR"); d != "" {
		require.NoError(t, os.MkdirAll(d, 0o755))
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		p := filepath.Join(d, "temporal-web-history.png")
		require.NoError(t, os.WriteFile(p, png, 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(d, "temporal-web-history.txt"), []byte(text), 0o644))
		if d == dir {
			t.Logf("screenshot of Temporal Web: %s (removed if the test passes; ROSTERSYNC_SCREENSHOT_DIR=dir keeps a copy)", p)
		} else {
			t.Logf("screenshot of Temporal Web: %s", p)
		}
	}
}

// quietLogger keeps the SDK's connection chatter out of the test output.
type quietLogger struct{}

func (quietLogger) Debug(string, ...any) {}
func (quietLogger) Info(string, ...any)  {}
func (quietLogger) Warn(string, ...any)  {}
func (quietLogger) Error(string, ...any) {}
