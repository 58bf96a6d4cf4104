package console

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/rostersync/rostersync/internal/config"
	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/mail"
	"github.com/rostersync/rostersync/internal/mail/mailtest"
	"github.com/rostersync/rostersync/internal/secrets"
	"github.com/rostersync/rostersync/internal/store"
	"github.com/rostersync/rostersync/internal/tclient"
	"github.com/rostersync/rostersync/internal/testenv"
)

// These tests drive the console over HTTPS with a plain client against a
// real PostgreSQL, Temporal dev server and SMTP peer (no worker: they never
// sync). The browser
// tests in internal/e2e drive the rest through Chromium.

type harness struct {
	t    *testing.T
	st   *store.Store
	srv  *httptest.Server
	smtp *mailtest.Server
}

const testOrg = "acme"

func newHarness(t *testing.T, oidcCfg *OIDCConfig) *harness {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, testenv.NewDatabase(t), nil)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	require.NoError(t, st.Migrate(ctx))
	sealer, err := secrets.ParseKey(secrets.GenerateKey())
	require.NoError(t, err)
	h := &harness{t: t, st: st, smtp: mailtest.Start(t)}
	h.srv = httptest.NewUnstartedServer(nil)
	h.srv.StartTLS()
	t.Cleanup(h.srv.Close)
	addr := testenv.TemporalAddress(t)
	tc, err := tclient.Dial(ctx, config.Load(func(k string) string {
		if k == "TEMPORAL_ADDRESS" {
			return addr
		}
		return ""
	}), zap.NewNop(), tclient.Options{})
	require.NoError(t, err)
	t.Cleanup(tc.Close)
	c, err := New(ctx, Config{BaseURL: h.srv.URL, TaskQueue: "console-test-unused", OIDC: oidcCfg}, Deps{
		Store: st, Sealer: sealer, Temporal: tc, Mail: mail.Sender{Addr: h.smtp.Addr(), From: "rostersync@acme.example"},
	})
	require.NoError(t, err)
	h.srv.Config.Handler = c.Handler()
	_, err = st.UpsertOrg(ctx, store.Org{ID: testOrg, Name: "Acme"})
	require.NoError(t, err)
	return h
}

// user gives email a level in the org and, unless pw is empty, a password.
func (h *harness) user(email string, level domain.Level, pw string) {
	h.t.Helper()
	require.NoError(h.t, h.st.SetUser(context.Background(), testOrg, email, level))
	if pw != "" {
		hash, err := secrets.HashPassword(pw)
		require.NoError(h.t, err)
		require.NoError(h.t, h.st.SetPasswordHash(context.Background(), email, hash))
	}
}

// browser is a client with a cookie jar that follows redirects.
func (h *harness) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	c := *h.srv.Client() // a copy: Client() returns the same one every time
	c.Jar = jar
	return &c
}

type page struct {
	status int
	url    string
	body   string
}

func (h *harness) get(c *http.Client, path string) page {
	h.t.Helper()
	res, err := c.Get(h.srv.URL + path)
	require.NoError(h.t, err)
	return readPage(h.t, res)
}

func (h *harness) post(c *http.Client, path string, form url.Values) page {
	h.t.Helper()
	res, err := c.PostForm(h.srv.URL+path, form)
	require.NoError(h.t, err)
	return readPage(h.t, res)
}

func readPage(t *testing.T, res *http.Response) page {
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return page{status: res.StatusCode, url: res.Request.URL.Path, body: string(b)}
}

func (h *harness) signIn(c *http.Client, email, pw string) page {
	return h.post(c, "/signin", url.Values{"email": {email}, "password": {pw}})
}

const ownerEmail, ownerPW = "owner@acme.example", "owner password 1"

func TestSignInAndOut(t *testing.T) {
	h := newHarness(t, nil)
	h.user(ownerEmail, domain.LevelOwner, ownerPW)
	c := h.browser()

	p := h.get(c, "/orgs/acme/history")
	require.Equal(t, "/signin", p.url, "a signed-out visitor is sent to sign in")

	p = h.signIn(c, ownerEmail, "wrong password!")
	require.Equal(t, http.StatusUnauthorized, p.status)
	require.Contains(t, p.body, "do not match")

	p = h.signIn(c, "OWNER@acme.example ", ownerPW)
	require.Equal(t, http.StatusOK, p.status)
	require.Equal(t, "/orgs/acme/history", p.url, "after signing in, the page asked for")

	p = h.post(c, "/signout", nil)
	require.Equal(t, "/signin", p.url)
	p = h.get(c, "/orgs/acme/history")
	require.Equal(t, "/signin", p.url, "signed out means signed out")
}

func TestSessionCookieIsLockedDown(t *testing.T) {
	h := newHarness(t, nil)
	h.user(ownerEmail, domain.LevelOwner, ownerPW)
	c := h.browser()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := c.PostForm(h.srv.URL+"/signin", url.Values{"email": {ownerEmail}, "password": {ownerPW}})
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	var found bool
	for _, ck := range res.Cookies() {
		if ck.Name == sessionCookie {
			found = true
			require.True(t, ck.Secure, "Secure")
			require.True(t, ck.HttpOnly, "HttpOnly")
			require.Equal(t, http.SameSiteLaxMode, ck.SameSite)
			require.Equal(t, "/", ck.Path)
			require.Empty(t, ck.Domain)
		}
	}
	require.True(t, found, "no session cookie set on sign-in")
	require.Contains(t, res.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'")
}

func TestSignInIsThrottledDurably(t *testing.T) {
	h := newHarness(t, nil)
	h.user(ownerEmail, domain.LevelOwner, ownerPW)
	c := h.browser()
	for i := 0; i < signInMaxFailures; i++ {
		require.Equal(t, http.StatusUnauthorized, h.signIn(c, ownerEmail, "guess number "+string(rune('a'+i))).status)
	}
	p := h.signIn(c, ownerEmail, ownerPW)
	require.Equal(t, http.StatusTooManyRequests, p.status, "the right password is refused while throttled")
	require.Contains(t, p.body, "Too many failed sign-ins")
	// The count is in PostgreSQL: a second console (a restart) sees it too.
	var n int
	require.NoError(t, h.st.DB().Get(&n, "SELECT count(*) FROM console_signin_failures WHERE email = $1", ownerEmail))
	require.Equal(t, signInMaxFailures, n)
	// An unknown email is throttled the same way (no account enumeration).
	for i := 0; i < signInMaxFailures; i++ {
		h.signIn(c, "nobody@acme.example", "whatever it is")
	}
	require.Equal(t, http.StatusTooManyRequests, h.signIn(c, "nobody@acme.example", "whatever it is").status)

	// Once the failures leave the window, the right password works again.
	_, err := h.st.DB().Exec("UPDATE console_signin_failures SET at = at - interval '16 minutes'")
	require.NoError(t, err)
	p = h.signIn(c, ownerEmail, ownerPW)
	require.Equal(t, http.StatusOK, p.status)
	require.Equal(t, "/orgs/acme", p.url)
}

func TestOnlyOwnersManageAccessAndTheLastOwnerStays(t *testing.T) {
	h := newHarness(t, nil)
	h.user(ownerEmail, domain.LevelOwner, ownerPW)
	h.user("tech@acme.example", domain.LevelTechnicalOwner, "tech password 1")
	tech := h.browser()
	h.signIn(tech, "tech@acme.example", "tech password 1")
	p := h.get(tech, "/orgs/acme/people")
	require.Equal(t, http.StatusForbidden, p.status)
	p = h.post(tech, "/orgs/acme/people/level", url.Values{"email": {"tech@acme.example"}, "level": {"owner"}})
	require.Equal(t, http.StatusForbidden, p.status, "a technical owner cannot make themselves owner")
	lvl, err := h.st.UserLevel(context.Background(), testOrg, "tech@acme.example")
	require.NoError(t, err)
	require.Equal(t, domain.LevelTechnicalOwner, lvl)

	owner := h.browser()
	h.signIn(owner, ownerEmail, ownerPW)
	p = h.post(owner, "/orgs/acme/people/remove", url.Values{"email": {ownerEmail}})
	require.Equal(t, http.StatusForbidden, p.status)
	require.Contains(t, p.body, "last owner")
	p = h.post(owner, "/orgs/acme/people/level", url.Values{"email": {ownerEmail}, "level": {"member"}})
	require.Equal(t, http.StatusForbidden, p.status)
	lvl, err = h.st.UserLevel(context.Background(), testOrg, ownerEmail)
	require.NoError(t, err)
	require.Equal(t, domain.LevelOwner, lvl, "the last owner stays owner")

	p = h.post(owner, "/orgs/acme/people/level", url.Values{"email": {"tech@acme.example"}, "level": {"admin"}})
	require.Equal(t, http.StatusOK, p.status)
	require.Contains(t, p.body, "tech@acme.example is now Admin")
	require.Contains(t, p.body, "access.change", "the change is in the audit log")
	// The technical owner's session now has admin rights at once.
	p = h.post(tech, "/orgs/acme/connect", url.Values{"head": {"Someone Else"}})
	require.Equal(t, http.StatusForbidden, p.status, "%s\n%s", p.url, p.body)
}

func TestInvitationWorksOnce(t *testing.T) {
	h := newHarness(t, nil)
	h.user(ownerEmail, domain.LevelOwner, ownerPW)
	owner := h.browser()
	h.signIn(owner, ownerEmail, ownerPW)
	p := h.post(owner, "/orgs/acme/people/invite", url.Values{"email": {"New.Person@acme.example"}, "level": {"admin"}})
	require.Equal(t, http.StatusOK, p.status, p.body)
	require.Contains(t, p.body, "Invitation sent to new.person@acme.example")

	msgs, err := h.smtp.WaitFor(1, 10*time.Second)
	require.NoError(t, err)
	require.Equal(t, []string{"new.person@acme.example"}, msgs[0].To)
	link := regexp.MustCompile(`https://\S+/invite/\S+`).FindString(msgs[0].Text)
	require.NotEmpty(t, link, "no link in %q", msgs[0].Text)
	path := strings.TrimPrefix(link, h.srv.URL)
	var stored int
	require.NoError(t, h.st.DB().Get(&stored, "SELECT count(*) FROM console_invitations WHERE position(convert_to($1, 'UTF8') in token_hash) > 0",
		strings.TrimPrefix(path, "/invite/")))
	require.Zero(t, stored, "the token itself is not stored")

	guest := h.browser()
	p = h.get(guest, path)
	require.Equal(t, http.StatusOK, p.status)
	require.Contains(t, p.body, "invited <strong>new.person@acme.example</strong>")
	p = h.post(guest, path, url.Values{"password": {"short"}, "password2": {"short"}})
	require.Equal(t, http.StatusUnprocessableEntity, p.status)
	p = h.post(guest, path, url.Values{"password": {"a long new password"}, "password2": {"a long new password"}})
	require.Equal(t, http.StatusOK, p.status)
	require.Equal(t, "/orgs/acme", p.url)
	require.Contains(t, p.body, "new.person@acme.example")
	require.Contains(t, p.body, "Admin")

	other := h.browser()
	p = h.get(other, path)
	require.Equal(t, http.StatusNotFound, p.status, "a used link grants nothing")
	require.Equal(t, http.StatusOK, h.signIn(other, "new.person@acme.example", "a long new password").status)
}

func TestSingleSignOn(t *testing.T) {
	m, err := mockoidc.Run()
	require.NoError(t, err)
	t.Cleanup(func() { _ = m.Shutdown() })
	cfg := m.Config()
	h := newHarness(t, &OIDCConfig{Issuer: cfg.Issuer, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret})
	h.user("sso.user@acme.example", domain.LevelMember, "")

	c := h.browser()
	m.QueueUser(&mockoidc.MockUser{Subject: "1", Email: "SSO.User@acme.example", EmailVerified: true})
	p := h.get(c, "/signin/sso")
	require.Equal(t, http.StatusOK, p.status, p.body)
	require.Equal(t, "/orgs/acme", p.url)
	require.Contains(t, p.body, "sso.user@acme.example")

	// A verified email without access to any org gets nothing.
	c2 := h.browser()
	m.QueueUser(&mockoidc.MockUser{Subject: "2", Email: "stranger@elsewhere.example", EmailVerified: true})
	p = h.get(c2, "/signin/sso")
	require.Equal(t, http.StatusForbidden, p.status)
	require.Equal(t, "/signin", h.get(c2, "/orgs/acme").url)

	// An email the provider does not vouch for is refused.
	c3 := h.browser()
	m.QueueUser(&mockoidc.MockUser{Subject: "3", Email: "sso.user@acme.example", EmailVerified: false})
	p = h.get(c3, "/signin/sso")
	require.Equal(t, http.StatusUnauthorized, p.status)

	// A callback this browser did not start signs nobody in.
	c4 := h.browser()
	p = h.get(c4, oidcCallbackPath+"?code=x&state=forged")
	require.Equal(t, http.StatusBadRequest, p.status)
}
