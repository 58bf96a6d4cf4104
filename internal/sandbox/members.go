package sandbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/rostersync/rostersync/internal/justworks"
)

// cursor is where a page ended: the last id served, how many members of the
// (truncated) roster came before the next page, and when the cursor was issued.
// Paging resumes at the smaller of the two positions: a member hired before the
// cursor is then served again (a duplicate, which the contract allows), and a
// member removed before it cannot make the client skip one.
type cursor struct {
	lastID string
	offset int
	issued time.Time
}

const cursorVersion = 1

func (s *Server) encodeCursor(c cursor) string {
	b := make([]byte, 0, 1+8+4+len(c.lastID)+8)
	b = append(b, cursorVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(c.issued.UnixNano()))
	b = binary.BigEndian.AppendUint32(b, uint32(c.offset))
	b = append(b, c.lastID...)
	b = append(b, s.cursorMAC(b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

var errBadCursor = errors.New("malformed cursor")

func (s *Server) decodeCursor(v string) (cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(b) < 1+8+4+8 || b[0] != cursorVersion {
		return cursor{}, errBadCursor
	}
	body, mac := b[:len(b)-8], b[len(b)-8:]
	if !hmac.Equal(mac, s.cursorMAC(body)) {
		return cursor{}, errBadCursor
	}
	return cursor{
		issued: time.Unix(0, int64(binary.BigEndian.Uint64(body[1:9]))),
		offset: int(binary.BigEndian.Uint32(body[9:13])),
		lastID: string(body[13:]),
	}, nil
}

// cursorMAC keeps cursors opaque: a client cannot build one, only pass one back.
func (s *Server) cursorMAC(b []byte) []byte {
	h := hmac.New(sha256.New, s.cursorKey)
	h.Write(b)
	return h.Sum(nil)[:8]
}

var pageBufs = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

func (s *Server) listMembers(w http.ResponseWriter, r *http.Request, now time.Time) {
	q := r.URL.Query()
	limit := defaultLimit
	if vals, ok := q["limit"]; ok {
		n, err := strconv.Atoi(vals[0])
		if err != nil || len(vals) > 1 || n < 1 || n > maxLimit {
			writeError(w, http.StatusBadRequest, justworks.CodeInvalidRequest, "limit must be one integer from 1 to 100")
			return
		}
		limit = n
	}
	var cur cursor
	hasCursor := false
	if vals, ok := q["cursor"]; ok && vals[0] != "" {
		c, err := s.decodeCursor(vals[0])
		if err != nil || len(vals) > 1 {
			writeError(w, http.StatusBadRequest, justworks.CodeInvalidRequest, "cursor is not one this server issued")
			return
		}
		cur, hasCursor = c, true
	}

	s.mu.Lock()
	f, drift := s.faults, s.drift
	s.pageReqs++
	page := s.pageReqs
	forcedExpiry := false
	if hasCursor {
		s.cursorReqs++
		forcedExpiry = f.CursorExpireEvery > 0 && s.cursorReqs%f.CursorExpireEvery == 0
	}
	s.mu.Unlock()

	if hasCursor {
		expiry := f.CursorExpiry
		if expiry == 0 {
			expiry = DefaultCursorExpiry
		}
		if forcedExpiry || now.Sub(cur.issued) > expiry {
			writeError(w, http.StatusBadRequest, justworks.CodeCursorExpired, "cursor expired; start again without a cursor")
			return
		}
	}
	if f.MutateEvery > 0 && page%f.MutateEvery == 0 {
		s.Mutate(s.mutateForFault)
	}
	n := limit
	short := f.ShortPageEvery > 0 && page%f.ShortPageEvery == 0
	if short {
		n = 0
		if (page/f.ShortPageEvery)%2 == 0 {
			n = max(1, limit/2)
		}
	}

	bp := pageBufs.Get().(*[]byte)
	b := (*bp)[:0]
	s.rosterMu.RLock()
	view := s.view(f)
	pos := 0
	if hasCursor {
		pos = min(cur.offset, s.roster.after(cur.lastID), len(view))
	}
	end := min(pos+n, len(view))
	b = append(b, `{"members":[`...)
	for i := pos; i < end; i++ {
		if i > pos {
			b = append(b, ',')
		}
		b = s.roster.appendServed(b, &view[i], drift)
	}
	b = append(b, `],"next_cursor":`...)
	if end < len(view) {
		next := cursor{lastID: cur.lastID, offset: end, issued: now}
		if end > pos {
			next.lastID = view[end-1].ID
		}
		b = appendString(b, s.encodeCursor(next))
	} else {
		b = append(b, "null"...)
	}
	s.rosterMu.RUnlock()
	b = append(b, '}')
	writeBody(w, http.StatusOK, b)
	*bp = b
	pageBufs.Put(bp)
}

// view is the served part of the roster; rosterMu is held.
func (s *Server) view(f Faults) []justworks.Member {
	v := s.roster.members
	if f.TruncateTo > 0 && len(v) > f.TruncateTo {
		v = v[:f.TruncateTo]
	}
	return v
}

func (s *Server) getMember(w http.ResponseWriter, id string) {
	f := s.Faults()
	s.mu.Lock()
	drift := s.drift
	s.mu.Unlock()
	s.rosterMu.RLock()
	view := s.view(f)
	i, ok := s.roster.find(id)
	var b []byte
	if ok && i < len(view) {
		b = s.roster.appendServed(make([]byte, 0, 512), &view[i], drift)
	}
	s.rosterMu.RUnlock()
	if b == nil {
		writeError(w, http.StatusNotFound, justworks.CodeNotFound, "no member "+strconv.Quote(id))
		return
	}
	writeBody(w, http.StatusOK, b)
}

// mutateForFault is one MutateEvery change: a hire between existing ids, a
// termination, or a move to the manager's manager, in turn. Moves go up the
// tree, so they never make a cycle.
func (s *Server) mutateForFault(r *Roster) {
	if len(r.members) == 0 {
		return
	}
	rng := s.mutateRand
	kind := s.mutations % 3
	s.mutations++
	pick := func(ok func(m *justworks.Member) bool) (string, bool) {
		for range 20 {
			m := &r.members[rng.IntN(len(r.members))]
			if m.ID != r.headID && ok(m) {
				return m.ID, true
			}
		}
		return "", false
	}
	switch kind {
	case 0:
		mgrID, ok := pick(func(m *justworks.Member) bool { return m.Status == justworks.StatusActive })
		if !ok {
			mgrID = r.headID
		}
		mgr, _ := r.Get(mgrID)
		pool := &namePools[rng.IntN(len(namePools))]
		gn, fn := pool.given[rng.IntN(len(pool.given))], pool.family[rng.IntN(len(pool.family))]
		id := r.gapID(rng.IntN(len(r.members)))
		email := gn.ascii + "." + fn.ascii + "." + strings.TrimPrefix(id, "mem_") + "@" + emailDomain(s.company.Name)
		r.Hire(justworks.Member{
			ID: id, GivenName: gn.text, FamilyName: fn.text, WorkEmail: &email,
			JobTitle: optional("New Hire"), Department: mgr.Department, ManagerID: optional(mgrID),
			WorkLocation: mgr.WorkLocation,
		})
	case 1:
		if id, ok := pick(func(m *justworks.Member) bool { return m.Status == justworks.StatusActive }); ok {
			r.Terminate(id, "")
		}
	case 2:
		id, ok := pick(func(m *justworks.Member) bool {
			if m.ManagerID == nil {
				return false
			}
			mgr, ok := r.find(*m.ManagerID)
			return ok && r.members[mgr].ManagerID != nil
		})
		if ok {
			m, _ := r.Get(id)
			i, _ := r.find(*m.ManagerID)
			r.SetManager(id, *r.members[i].ManagerID)
		}
	}
}

// appendServed writes m as it is served: with the server's Drift, then the
// member's own MemberDrift, if any.
func (r *Roster) appendServed(b []byte, m *justworks.Member, server Drift) []byte {
	d, ok := r.drift[m.ID]
	if !ok {
		return appendDrifted(b, m, server)
	}
	var obj map[string]any
	if err := json.Unmarshal(appendDrifted(nil, m, server), &obj); err != nil {
		panic(err) // appendDrifted writes valid JSON
	}
	for _, k := range d.Omit {
		delete(obj, k)
	}
	for k, v := range d.Set {
		obj[k] = v
	}
	out, err := json.Marshal(obj)
	if err != nil {
		panic(fmt.Sprintf("sandbox: drift of %s does not marshal: %v", m.ID, err))
	}
	return append(b, out...)
}

// appendMember writes m as encoding/json would (same bytes), without reflection:
// pages are the sandbox's hot path in benchmarks.
func appendMember(b []byte, m *justworks.Member) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, m.ID)
	b = append(b, `,"given_name":`...)
	b = appendString(b, m.GivenName)
	b = append(b, `,"family_name":`...)
	b = appendString(b, m.FamilyName)
	b = append(b, `,"preferred_name":`...)
	b = appendOptional(b, m.PreferredName)
	b = append(b, `,"work_email":`...)
	b = appendOptional(b, m.WorkEmail)
	b = append(b, `,"job_title":`...)
	b = appendOptional(b, m.JobTitle)
	b = append(b, `,"department":`...)
	if d := m.Department; d == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"id":`...)
		b = appendString(b, d.ID)
		b = append(b, `,"name":`...)
		b = appendString(b, d.Name)
		b = append(b, '}')
	}
	b = append(b, `,"manager_id":`...)
	b = appendOptional(b, m.ManagerID)
	b = append(b, `,"employment_type":`...)
	b = appendString(b, m.EmploymentType)
	b = append(b, `,"status":`...)
	b = appendString(b, m.Status)
	b = append(b, `,"start_date":`...)
	b = appendString(b, m.StartDate)
	b = append(b, `,"termination_date":`...)
	b = appendOptional(b, m.TerminationDate)
	b = append(b, `,"work_location":`...)
	if l := m.WorkLocation; l == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"name":`...)
		b = appendString(b, l.Name)
		b = append(b, `,"city":`...)
		b = appendString(b, l.City)
		b = append(b, `,"state":`...)
		b = appendString(b, l.State)
		b = append(b, `,"country":`...)
		b = appendString(b, l.Country)
		b = append(b, '}')
	}
	b = append(b, `,"updated_at":"`...)
	b = m.UpdatedAt.UTC().AppendFormat(b, time.RFC3339Nano)
	return append(b, `"}`...)
}

func appendOptional(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendString(b, *s)
}

const hexDigits = "0123456789abcdef"

// appendString quotes s with encoding/json's escaping (HTML-safe, invalid UTF-8
// as U+FFFD, U+2028/2029 escaped).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
