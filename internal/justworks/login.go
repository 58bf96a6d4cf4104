package justworks

import (
	"context"
	"encoding/base32"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"go.uber.org/zap"
)

const (
	loginPath   = "/v1/auth/login"
	companyPath = "/v1/company"
	totpPeriod  = 30 // seconds, the contract's TOTP step
	// maxTickets bounds the password steps inside one login: the first, and new
	// ones only after ticket_expired (never after a rejected password).
	maxTickets = 3
	// maxCodeAlreadyUsed bounds the waits for a fresh TOTP step after 409
	// code_already_used inside one login (another worker keeps winning the race).
	maxCodeAlreadyUsed = 2
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// normaliseSecret accepts setup keys as people copy them: grouped with spaces or
// hyphens, lower case, without padding.
func normaliseSecret(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\t' {
			return -1
		}
		return r
	}, s)
	return strings.TrimRight(strings.ToUpper(s), "=")
}

// ValidateTOTPSecret reports whether secret is a usable base32 TOTP setup key.
// The error (*Error with Code CodeBadTOTPSecret) never contains the secret.
func ValidateTOTPSecret(secret string) error {
	bad := func(why string) error {
		return &Error{Op: "check the 2FA setup key", Code: CodeBadTOTPSecret, Message: "the TOTP setup key " + why + "; copy it again from the Justworks user's 2FA settings"}
	}
	s := normaliseSecret(secret)
	if s == "" {
		return bad("is empty")
	}
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	if err != nil {
		return bad("is not valid base32 (letters A-Z and digits 2-7)")
	}
	if len(b) < 10 {
		return bad(fmt.Sprintf("is too short (%d bytes, at least 10 expected)", len(b)))
	}
	return nil
}

// Login opens a session: a probe of the login endpoint, the password step,
// then the MFA step with a TOTP code. Every password step needs the guard's
// leave (Config.Guard), which holds beyond this Client.
//
// It never sends the password again after Justworks rejected it or locked the
// account: those errors are non-retryable, and every later Login or request of
// this Client returns the same error without contacting Justworks, so retries
// (ours or the caller's) can never lock the account.
func (c *Client) Login(ctx context.Context) error {
	c.loginMu.Lock()
	defer c.loginMu.Unlock()
	return c.login(ctx)
}

// session returns the current token, logging in first if there is none.
func (c *Client) session(ctx context.Context) (string, error) {
	if tok := c.Token(); tok != "" {
		return tok, nil
	}
	c.loginMu.Lock()
	defer c.loginMu.Unlock()
	if tok := c.Token(); tok != "" { // another goroutine logged in meanwhile
		return tok, nil
	}
	if err := c.login(ctx); err != nil {
		return "", err
	}
	return c.Token(), nil
}

// relogin replaces the session whose token stale expired, unless another
// goroutine already did. It goes through the same guard and probe as the
// first login: a re-login sends the password like any other.
func (c *Client) relogin(ctx context.Context, stale string) error {
	c.loginMu.Lock()
	defer c.loginMu.Unlock()
	if tok := c.Token(); tok != "" && tok != stale {
		return nil
	}
	return c.login(ctx)
}

// login asks the guard, probes the login endpoint, then runs the two steps;
// c.loginMu is held.
func (c *Client) login(ctx context.Context) error {
	const op = "log in"
	if !c.creds.hasLogin() {
		return &Error{Op: op, Code: CodeInvalidConfig, Message: "this client has no Justworks credentials to log in with"}
	}
	c.mu.Lock()
	blocked := c.blocked
	c.mu.Unlock()
	if blocked != nil {
		e := *blocked
		return &e
	}
	if err := c.guard.Admit(ctx); err != nil {
		return err
	}
	if err := c.probe(ctx); err != nil {
		return c.guard.ProbeFailed(ctx, err)
	}
	for tickets := 1; ; tickets++ {
		ticket, err := c.passwordStep(ctx)
		if err != nil {
			return err
		}
		err = c.mfa(ctx, ticket)
		if err == nil {
			c.guard.LoggedIn(ctx)
			return nil
		}
		if ErrorCode(err) != CodeTicketExpired || tickets == maxTickets {
			return err
		}
		c.log.Info("justworks MFA ticket expired; logging in again", zap.Int("ticket", tickets))
	}
}

// passwordStep sends the username and password once, with the guard's leave,
// and returns the MFA ticket. It is never repeated in-client, whatever the
// answer: after a 5xx or no answer the verdict is unknown (Justworks may have
// counted a failed login), and every repeat is the guard's to allow.
func (c *Client) passwordStep(ctx context.Context) (string, error) {
	const op = "log in"
	if err := c.guard.Claim(ctx, c.stepTimeout); err != nil {
		return "", err
	}
	c.loginAttempts.Add(1)
	sctx, cancel := context.WithTimeout(ctx, c.stepTimeout)
	defer cancel()
	var lr struct {
		MFARequired bool   `json:"mfa_required"`
		Ticket      string `json:"mfa_ticket"`
	}
	err := c.do(sctx, request{
		op: op, method: http.MethodPost, path: loginPath,
		body:    map[string]string{"username": c.creds.Username, "password": c.creds.Password},
		secrets: []string{c.creds.Password},
		once:    true,
	}, &lr)
	if !Heard(err) {
		return "", c.guard.PasswordUnheard(ctx, err)
	}
	c.guard.PasswordHeard(ctx)
	if err != nil {
		return "", c.loginFailed(err)
	}
	if !lr.MFARequired || lr.Ticket == "" {
		return "", &Error{Op: op, Status: http.StatusOK, Code: CodeInvalidResponse, Message: "the password step did not ask for a 2FA code; Rostersync only supports users with 2FA"}
	}
	return lr.Ticket, nil
}

// probe checks that the login endpoint answers before the password is sent:
// a login without username and password must be refused (400 invalid_request;
// any answer but a 5xx or a 429 will do), and nothing is counted against the
// account. When Justworks or its login endpoint alone is down (5xx, no answer)
// or rate-limits, the password stays home, so retries through an outage send
// no password whose verdict nobody would hear.
func (c *Client) probe(ctx context.Context) error {
	err := c.do(ctx, request{op: "check that the Justworks login answers", method: http.MethodPost, path: loginPath, body: struct{}{}}, nil)
	switch ErrorCode(err) {
	case "":
		return nil
	case CodeUnavailable, CodeTransport, CodeRateLimited:
		return err
	}
	if _, ok := AsError(err); !ok {
		return err
	}
	// Any other answer is still an answer: the login endpoint is up.
	return nil
}

// mfa sends TOTP codes for ticket until one is accepted. It returns an error with
// CodeTicketExpired when a new password step is needed.
func (c *Client) mfa(ctx context.Context, ticket string) error {
	const op = "log in"
	used, invalid := 0, 0
	for {
		code, step, err := c.nextCode(ctx)
		if err != nil {
			return err
		}
		var mr struct {
			AccessToken string `json:"access_token"`
			TokenType   string `json:"token_type"`
			ExpiresIn   int    `json:"expires_in"`
		}
		err = c.do(ctx, request{
			op: op, method: http.MethodPost, path: "/v1/auth/mfa",
			body:    map[string]string{"mfa_ticket": ticket, "code": code},
			secrets: []string{ticket, code},
		}, &mr)
		if ErrorCode(err) != CodeTicketExpired {
			// The server judged the code (or may have: a transport error), so it
			// cannot be used again. A code sent with an expired ticket was not judged.
			c.markStep(step)
		}
		if err == nil {
			if mr.AccessToken == "" {
				return &Error{Op: op, Status: http.StatusOK, Code: CodeInvalidResponse, Message: "the MFA step returned no access token"}
			}
			if mr.TokenType != "" && !strings.EqualFold(mr.TokenType, "Bearer") {
				return &Error{Op: op, Status: http.StatusOK, Code: CodeInvalidResponse, Message: fmt.Sprintf("the MFA step returned a token of type %q, not Bearer", mr.TokenType)}
			}
			c.SetToken(mr.AccessToken)
			c.logins.Add(1)
			c.log.Info("justworks login", zap.Int("expires_in_s", mr.ExpiresIn))
			return nil
		}
		switch ErrorCode(err) {
		case CodeCodeAlreadyUsed:
			// Another login (another worker, or an earlier session of ours) used this
			// step's code. nextCode waits for the next step.
			used++
			if used > maxCodeAlreadyUsed {
				e, _ := AsError(err)
				e.RetryAfter = c.untilStep(step + 1)
				return e
			}
			c.log.Info("justworks 2FA code already used; waiting for the next 30 s step")
		case CodeInvalidCode:
			// One retry in the next step covers a code generated at the very end of a
			// step; a second rejection means a wrong key or a wrong clock.
			invalid++
			if invalid > 1 {
				e, _ := AsError(err)
				e.Retryable = false
				e.Message = fmt.Sprintf("Justworks rejected the 2FA codes of user %q in two consecutive 30 s steps; check the stored TOTP setup key and the worker's clock", c.creds.Username)
				return c.block(e)
			}
			c.log.Info("justworks rejected the 2FA code; retrying once in the next 30 s step")
		default:
			return c.loginFailed(err)
		}
	}
}

// nextCode returns the TOTP code for the first step after the last one whose
// code this client used up (waiting for it if needed) and that step.
func (c *Client) nextCode(ctx context.Context) (string, int64, error) {
	c.mu.Lock()
	last := c.lastStep
	c.mu.Unlock()
	t := c.now()
	if t.Unix()/totpPeriod <= last {
		d := c.untilStep(last + 1)
		c.log.Debug("waiting for the next TOTP step", zap.Duration("wait", d))
		if err := c.sleep(ctx, d); err != nil {
			return "", 0, &Error{Op: "log in", Code: CodeTransport, Message: "gave up waiting for the next 2FA step: " + err.Error(), Retryable: true, Err: err}
		}
		if t = c.now(); t.Unix()/totpPeriod <= last {
			// The injected clock did not move; use the next step's code, which the
			// server accepts (it allows one step either side).
			t = time.Unix((last+1)*totpPeriod, 0)
		}
	}
	code, err := totp.GenerateCodeCustom(c.secret, t, totpOpts)
	if err != nil {
		return "", 0, &Error{Op: "log in", Code: CodeBadTOTPSecret, Message: "cannot compute a 2FA code from the stored TOTP setup key"}
	}
	return code, t.Unix() / totpPeriod, nil
}

// markStep records that the code of step was used up.
func (c *Client) markStep(step int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if step > c.lastStep {
		c.lastStep = step
	}
}

// untilStep is the time from now until TOTP step s begins.
func (c *Client) untilStep(s int64) time.Duration {
	d := time.Unix(s*totpPeriod, 0).Sub(c.now())
	if d < 0 {
		return 0
	}
	return d
}

// loginFailed blocks further logins after answers that a retry would only make
// worse (a rejected password counts towards the lockout).
func (c *Client) loginFailed(err error) error {
	e, ok := AsError(err)
	if !ok {
		return err
	}
	switch e.Code {
	case CodeInvalidCredentials, CodeAccountLocked:
		e.Retryable = false
		return c.block(e)
	}
	return e
}

func (c *Client) block(e *Error) *Error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.token = ""
	b := *e
	c.blocked = &b
	c.log.Warn("justworks login blocked; not trying again", zap.String("code", e.Code), zap.String("reason", e.Message))
	return e
}
