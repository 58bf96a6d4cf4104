package sandbox

import (
	"fmt"
	"math"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// How the per-token rate limit counts (Config.RateWindow).
const (
	// RateBucket is a token bucket of RateLimit per second with a burst of
	// RateLimit: a client that paused may send a second's worth at once.
	RateBucket = "bucket"
	// RateRolling is the strictest reading of "N requests per second": at most
	// floor(RateLimit) requests in any rolling one-second window, counted
	// when they arrive. A client that spaces its sends exactly 1/N apart meets
	// 429s here whenever the network delays one request more than a later one.
	RateRolling = "rolling"
)

// limits holds the per-token limiters. The rate limit is enforced here,
// after authentication, so that every company served by one process keeps
// its own limit per token.
type limits struct {
	rate   float64 // requests per second; 0 = off
	window string  // RateBucket or RateRolling

	mu    sync.Mutex
	byTok map[string]*tokenLimit
	swept time.Time
}

type tokenLimit struct {
	bucket *rate.Limiter
	recent []time.Time // RateRolling: arrival times of admitted requests, oldest first
	last   time.Time
}

func newLimits(perSecond float64, window string) (*limits, error) {
	switch window {
	case "":
		window = RateBucket
	case RateBucket, RateRolling:
	default:
		return nil, fmt.Errorf("sandbox: rate window must be %q or %q, got %q", RateBucket, RateRolling, window)
	}
	if window == RateRolling && perSecond > 0 && perSecond < 1 {
		return nil, fmt.Errorf("sandbox: a rolling rate window needs a limit of at least 1 request per second, got %v", perSecond)
	}
	return &limits{rate: perSecond, window: window, byTok: map[string]*tokenLimit{}}, nil
}

// admit counts a request of token at now. It reports false, and how long
// the token must wait, when the request is over the limit; a refused
// request does not count.
func (l *limits) admit(tok string, now time.Time) (bool, time.Duration) {
	if l == nil || l.rate <= 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	t, ok := l.byTok[tok]
	if !ok {
		t = &tokenLimit{}
		if l.window == RateBucket {
			t.bucket = rate.NewLimiter(rate.Limit(l.rate), max(1, int(math.Ceil(l.rate))))
		}
		l.byTok[tok] = t
	}
	t.last = now
	if t.bucket != nil {
		if t.bucket.AllowN(now, 1) {
			return true, 0
		}
		return false, time.Duration((1 - t.bucket.TokensAt(now)) / l.rate * float64(time.Second))
	}
	n := int(l.rate)
	// Drop arrivals that left the window (now-1s, now].
	i := 0
	for i < len(t.recent) && !t.recent[i].After(now.Add(-time.Second)) {
		i++
	}
	t.recent = t.recent[i:]
	if len(t.recent) >= n {
		return false, t.recent[0].Add(time.Second).Sub(now)
	}
	t.recent = append(t.recent, now)
	return true, 0
}

// sweep forgets tokens idle for a while (l.mu held).
func (l *limits) sweep(now time.Time) {
	if now.Sub(l.swept) < time.Minute {
		return
	}
	l.swept = now
	for k, t := range l.byTok {
		if now.Sub(t.last) > time.Minute {
			delete(l.byTok, k)
		}
	}
}

// authorized authenticates the request (authorize) and then applies the
// per-token rate limit, answering 429 itself when the token is over it.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request, now time.Time) bool {
	if !s.authorize(w, r, now) {
		return false
	}
	tok, _ := bearer(r)
	if ok, wait := s.limits.admit(tok, now); !ok {
		s.tooMany(w, "token:"+tok, now, wait)
		return false
	}
	return true
}
