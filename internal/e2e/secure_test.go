package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/rostersync/rostersync/internal/sandbox"
	"github.com/rostersync/rostersync/internal/testenv"
)

// mtlsProxy terminates TLS in front of the dev server and demands a client
// certificate from the test CA, as a secured cluster's frontend (or Temporal
// Cloud) does; verified connections are forwarded as raw TCP (gRPC over h2).
type mtlsProxy struct {
	ln                 net.Listener
	verified, rejected atomic.Int64
	wg                 sync.WaitGroup
}

func startMTLSProxy(t *testing.T, p *testenv.PKI, backend string) *mtlsProxy {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{p.ServerPair},
		ClientCAs:    p.Pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		NextProtos:   []string{"h2"}, // gRPC clients insist on ALPN h2
		MinVersion:   tls.VersionTLS12,
	})
	require.NoError(t, err)
	px := &mtlsProxy{ln: ln}
	px.wg.Add(1)
	go func() {
		defer px.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			px.wg.Add(1)
			go func() { defer px.wg.Done(); px.forward(c.(*tls.Conn), backend) }()
		}
	}()
	t.Cleanup(func() { _ = ln.Close() })
	return px
}

func (px *mtlsProxy) Addr() string { return px.ln.Addr().String() }

func (px *mtlsProxy) forward(c *tls.Conn, backend string) {
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	err := c.HandshakeContext(ctx)
	cancel()
	if err != nil {
		px.rejected.Add(1)
		return
	}
	px.verified.Add(1)
	b, err := net.Dial("tcp", backend)
	if err != nil {
		return
	}
	defer b.Close()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(b, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, b); done <- struct{}{} }()
	<-done
}

// A sync runs end to end through an mTLS-terminating endpoint when the worker
// and the starter are given a client certificate the usual way
// (TEMPORAL_TLS_* as for the temporal CLI); without one, or with a
// certificate the server does not trust, the worker stops within seconds and
// says which setting to fix.
func TestSecuredTemporalWithMTLS(t *testing.T) {
	pki := testenv.NewPKI(t)
	px := startMTLSProxy(t, pki, testenv.TemporalAddress(t))

	secured := []string{
		"TEMPORAL_ADDRESS=" + px.Addr(),
		"TEMPORAL_TLS_SERVER_CA_CERT_PATH=" + pki.CAFile,
		"TEMPORAL_TLS_CLIENT_CERT_PATH=" + pki.ClientCert,
		"TEMPORAL_TLS_CLIENT_KEY_PATH=" + pki.ClientKey,
	}
	s := newStack(t, sandbox.Config{People: 40}, withEnv(secured...))
	s.setupOrg()
	r := s.sync(tech)
	require.Equal(t, "applied", r.Outcome, "%+v", r)
	require.Equal(t, 40, r.Hires)
	require.Positive(t, px.verified.Load(), "nothing went through the proxy")
	rejectedBefore := px.rejected.Load()

	// The temporal CLI reads the same variables: the run is visible through
	// the proxy with them.
	cli := exec.Command(testenv.Bin(t, "temporal"), "workflow", "describe", "--workflow-id", r.WorkflowID, "--run-id", r.RunID)
	cli.Env = s.env
	out, err := cli.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "COMPLETED")

	for _, tc := range []struct {
		name string
		env  []string
		want string
	}{
		{"no client certificate", []string{"TEMPORAL_TLS_CLIENT_CERT_PATH=", "TEMPORAL_TLS_CLIENT_KEY_PATH="}, "TEMPORAL_TLS_CLIENT_CERT_PATH"},
		{"a certificate from another CA", []string{"TEMPORAL_TLS_CLIENT_CERT_PATH=" + pki.StrangerCert, "TEMPORAL_TLS_CLIENT_KEY_PATH=" + pki.StrangerKey}, "TEMPORAL_TLS_CLIENT_CERT_PATH"},
		{"the server's CA not trusted", []string{"TEMPORAL_TLS_SERVER_CA_CERT_PATH="}, "TEMPORAL_TLS_SERVER_CA_CERT_PATH"},
		{"plaintext against TLS", []string{"TEMPORAL_TLS=false"}, "TEMPORAL_TLS=true"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, s.workerBin)
			cmd.Env = append(append([]string(nil), s.env...), tc.env...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			start := time.Now()
			err := cmd.Run()
			took := time.Since(start)
			require.Error(t, err, "the worker must not run without a valid connection")
			require.NoError(t, ctx.Err(), "the worker hung instead of exiting")
			require.Less(t, took, 30*time.Second)
			var ee *exec.ExitError
			require.ErrorAs(t, err, &ee)
			require.Equal(t, 1, ee.ExitCode())
			require.Contains(t, stderr.String(), "worker: connect to Temporal at "+px.Addr())
			require.Contains(t, stderr.String(), tc.want, "stderr:\n%s", stderr.String())
			t.Logf("exited 1 after %s: %s", took.Round(100*time.Millisecond), lastLine(stderr.String()))
		})
	}
	require.Greater(t, px.rejected.Load(), rejectedBefore, "the proxy rejected no handshake")

	// The starter fails the same clear way.
	s.env = append(s.env, "TEMPORAL_TLS_CLIENT_CERT_PATH=", "TEMPORAL_TLS_CLIENT_KEY_PATH=")
	out2, errOut, code := s.run("sync", "--org", s.org, "--as", tech)
	require.Equal(t, 1, code, "stdout: %s\nstderr: %s", out2, errOut)
	require.Contains(t, errOut, "TEMPORAL_TLS_CLIENT_CERT_PATH")
}

func lastLine(s string) string {
	s = string(bytes.TrimSpace([]byte(s)))
	if i := bytes.LastIndexByte([]byte(s), '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// rawFrame and rawCodec let the API-key proxy forward gRPC messages without
// knowing their types.
type rawFrame struct{ b []byte }

type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return v.(*rawFrame).b, nil }
func (rawCodec) Unmarshal(b []byte, v any) error {
	v.(*rawFrame).b = append([]byte(nil), b...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

// apiKeyProxy is a TLS gRPC endpoint that, like Temporal Cloud or a
// self-hosted frontend with an authorizer, refuses every call without the
// right bearer token, and forwards the others to the dev server.
type apiKeyProxy struct {
	addr                string
	authorized, refused atomic.Int64
}

func startAPIKeyProxy(t *testing.T, p *testenv.PKI, backend, key string) *apiKeyProxy {
	t.Helper()
	conn, err := grpc.NewClient(backend, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	px := &apiKeyProxy{}
	forward := func(_ any, ss grpc.ServerStream) error {
		method, _ := grpc.MethodFromServerStream(ss)
		md, _ := metadata.FromIncomingContext(ss.Context())
		if got := md.Get("authorization"); len(got) != 1 || got[0] != "Bearer "+key {
			px.refused.Add(1)
			return status.Error(codes.PermissionDenied, "Request unauthorized.") // what Temporal's authorizer answers
		}
		px.authorized.Add(1)
		cs, err := conn.NewStream(metadata.NewOutgoingContext(ss.Context(), md.Copy()),
			&grpc.StreamDesc{ClientStreams: true, ServerStreams: true}, method, grpc.ForceCodec(rawCodec{}))
		if err != nil {
			return err
		}
		go func() {
			for {
				var f rawFrame
				if err := ss.RecvMsg(&f); err != nil {
					_ = cs.CloseSend()
					return
				}
				if err := cs.SendMsg(&f); err != nil {
					return
				}
			}
		}()
		if h, err := cs.Header(); err == nil {
			_ = ss.SendHeader(h)
		}
		for {
			var f rawFrame
			if err := cs.RecvMsg(&f); err == io.EOF {
				ss.SetTrailer(cs.Trailer())
				return nil
			} else if err != nil {
				return err
			}
			if err := ss.SendMsg(&f); err != nil {
				return err
			}
		}
	}
	srv := grpc.NewServer(grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{p.ServerPair}})),
		grpc.UnknownServiceHandler(forward), grpc.ForceServerCodec(rawCodec{}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	px.addr = ln.Addr().String()
	return px
}

// With TEMPORAL_API_KEY (TLS turned on by it, as for Temporal Cloud) a sync
// runs end to end through an endpoint that checks the key on every call; a
// wrong or missing key stops the worker within seconds, naming the setting.
func TestSecuredTemporalWithAPIKey(t *testing.T) {
	pki := testenv.NewPKI(t)
	key := "rs-test-key-" + randHex(8)
	px := startAPIKeyProxy(t, pki, testenv.TemporalAddress(t), key)

	s := newStack(t, sandbox.Config{People: 30}, withEnv(
		"TEMPORAL_ADDRESS="+px.addr, "TEMPORAL_API_KEY="+key, "TEMPORAL_TLS_SERVER_CA_CERT_PATH="+pki.CAFile))
	s.setupOrg()
	t0 := time.Now()
	r := s.sync(tech)
	t.Logf("sync through the API-key endpoint took %s", time.Since(t0).Round(100*time.Millisecond))
	require.Equal(t, "applied", r.Outcome, "%+v", r)
	require.Positive(t, px.authorized.Load())
	require.Zero(t, px.refused.Load(), "a call went without the key")

	for _, tc := range []struct {
		name string
		env  []string
	}{
		{"wrong key", []string{"TEMPORAL_API_KEY=not-the-key"}},
		{"no key", []string{"TEMPORAL_API_KEY="}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, s.workerBin)
			cmd.Env = append(append([]string(nil), s.env...), tc.env...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			start := time.Now()
			err := cmd.Run()
			require.NoError(t, ctx.Err(), "the worker hung instead of exiting")
			var ee *exec.ExitError
			require.ErrorAs(t, err, &ee)
			require.Equal(t, 1, ee.ExitCode())
			require.Less(t, time.Since(start), 30*time.Second)
			require.Contains(t, stderr.String(), "Request unauthorized")
			require.Contains(t, stderr.String(), "check TEMPORAL_API_KEY", "stderr:\n%s", stderr.String())
			require.NotContains(t, stderr.String(), key, "the key in an error message")
			t.Logf("exited 1 after %s: %s", time.Since(start).Round(100*time.Millisecond), lastLine(stderr.String()))
		})
	}
	require.Positive(t, px.refused.Load())
}
