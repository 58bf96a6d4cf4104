package activities

import (
	"context"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/rostersync/rostersync/internal/mail"
	"github.com/rostersync/rostersync/internal/secrets"
	"github.com/rostersync/rostersync/internal/store"
)

// MailSender delivers one rendered summary to one recipient (mail.Sender in
// production).
type MailSender interface {
	Send(ctx context.Context, to string, m mail.Message) error
}

// Activities holds the dependencies of every sync step; one value is registered
// with the worker, and workflows call its methods through a typed nil pointer.
type Activities struct {
	Store   *store.Store
	Secrets *secrets.Sealer
	Mail    MailSender
	Log     *zap.Logger

	// JustworksHTTP is the HTTP client for Justworks (nil: http.DefaultClient).
	JustworksHTTP *http.Client
	// JustworksRateLimit is the client-side request rate (0: the client's default).
	JustworksRateLimit float64
	// LoginCooldown is how long the login guard keeps the password home after
	// two password steps went unheard (0: DefaultLoginCooldown).
	LoginCooldown time.Duration
	// WebURL and Namespace build the Temporal Web link in emails.
	WebURL    string
	Namespace string
	// MailListLimit caps how many people each section of the email lists by name.
	MailListLimit int
}
