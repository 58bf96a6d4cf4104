package sandbox

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rostersync/rostersync/internal/justworks"
)

// Roster is the sandbox company's people, kept sorted by id. A *Roster is only
// handed out inside Server.Mutate, which holds the server's roster lock for the
// callback; do not keep it after the callback returns.
//
// Every change sets the member's updated_at to the server's Now. Members are
// stored as deep copies, so callers may reuse the values they pass in.
type Roster struct {
	members []justworks.Member // sorted by ID; pointer fields are never written through
	nextNum int
	headID  string
	now     func() time.Time
	drift   map[string]MemberDrift // by member id: how the member's JSON is served
}

// MemberDrift is vendor drift in how one member is served (the server-wide
// Drift applies first), for tests of what the contract allows (absent keys,
// new enum values, unknown fields) and of what a client must survive (an
// empty id, a value of the wrong type). The stored member is unchanged; only
// its JSON differs.
type MemberDrift struct {
	Omit []string       // keys left out of the member's JSON
	Set  map[string]any // keys set to these values (new keys included), after Omit
}

// SetMemberDrift serves member id with d from now on; a zero MemberDrift
// serves it as stored again. It reports whether id exists.
func (r *Roster) SetMemberDrift(id string, d MemberDrift) bool {
	if _, ok := r.find(id); !ok {
		return false
	}
	if len(d.Omit) == 0 && len(d.Set) == 0 {
		delete(r.drift, id)
		return true
	}
	if r.drift == nil {
		r.drift = map[string]MemberDrift{}
	}
	r.drift[id] = d
	return true
}

// Len is the number of members, terminated ones included.
func (r *Roster) Len() int { return len(r.members) }

// HeadID is the id of the generated head.
func (r *Roster) HeadID() string { return r.headID }

// IDs lists every member id in order.
func (r *Roster) IDs() []string {
	ids := make([]string, len(r.members))
	for i := range r.members {
		ids[i] = r.members[i].ID
	}
	return ids
}

// Members is a deep copy of the roster, sorted by id.
func (r *Roster) Members() []justworks.Member {
	out := make([]justworks.Member, len(r.members))
	for i := range r.members {
		out[i] = cloneMember(r.members[i])
	}
	return out
}

// Get is a copy of member id.
func (r *Roster) Get(id string) (justworks.Member, bool) {
	i, ok := r.find(id)
	if !ok {
		return justworks.Member{}, false
	}
	return cloneMember(r.members[i]), true
}

// NewID is a fresh id, after every generated or hired one (what Hire uses when
// m.ID is empty).
func (r *Roster) NewID() string {
	for {
		id := idOf(r.nextNum)
		r.nextNum++
		if _, taken := r.find(id); !taken {
			return id
		}
	}
}

// Put inserts m or replaces the member with its id. An empty ID gets NewID; a
// zero UpdatedAt becomes now.
func (r *Roster) Put(m justworks.Member) string {
	if m.ID == "" {
		m.ID = r.NewID()
	}
	m = cloneMember(m)
	if m.UpdatedAt.IsZero() {
		m.UpdatedAt = r.stamp()
	}
	i, ok := r.find(m.ID)
	if ok {
		r.members[i] = m
	} else {
		r.members = slices.Insert(r.members, i, m)
	}
	return m.ID
}

// Hire adds m as a new hire and returns its id: an empty ID gets NewID, an empty
// StartDate becomes today, an empty Status becomes active (pending when the
// start date is in the future), an empty EmploymentType full_time. Hiring an
// existing id replaces that member.
func (r *Roster) Hire(m justworks.Member) string {
	today := r.today()
	if m.StartDate == "" {
		m.StartDate = today
	}
	if m.Status == "" {
		m.Status = justworks.StatusActive
		if m.StartDate > today {
			m.Status = justworks.StatusPending
		}
	}
	if m.EmploymentType == "" {
		m.EmploymentType = justworks.EmploymentFullTime
	}
	m.UpdatedAt = r.stamp()
	return r.Put(m)
}

// Update applies fn to member id and stamps updated_at; fn must assign new
// values to pointer fields, not write through them. It reports whether id exists.
func (r *Roster) Update(id string, fn func(m *justworks.Member)) bool {
	i, ok := r.find(id)
	if !ok {
		return false
	}
	m := cloneMember(r.members[i])
	fn(&m)
	m.ID = id
	m.UpdatedAt = r.stamp()
	r.members[i] = m
	return true
}

// Terminate sets member id's termination date (YYYY-MM-DD, "" = today). A date
// in the future is a scheduled termination: the member stays active until then.
func (r *Roster) Terminate(id, date string) bool {
	today := r.today()
	if date == "" {
		date = today
	}
	return r.Update(id, func(m *justworks.Member) {
		m.TerminationDate = &date
		if date <= today {
			m.Status = justworks.StatusTerminated
		} else if m.Status == justworks.StatusTerminated {
			m.Status = justworks.StatusActive
		}
	})
}

// Rehire makes member id active again from today, keeping the id (as Justworks does).
func (r *Roster) Rehire(id string) bool {
	today := r.today()
	return r.Update(id, func(m *justworks.Member) {
		m.Status = justworks.StatusActive
		m.TerminationDate = nil
		m.StartDate = today
	})
}

// SetManager moves member id under managerID ("" = no manager). The manager
// need not exist: the contract lets manager_id point outside the roster.
func (r *Roster) SetManager(id, managerID string) bool {
	return r.Update(id, func(m *justworks.Member) { m.ManagerID = optional(managerID) })
}

// SetTitle sets member id's job title ("" = null).
func (r *Roster) SetTitle(id, title string) bool {
	return r.Update(id, func(m *justworks.Member) { m.JobTitle = optional(title) })
}

// SetStatus sets member id's status as is (no date bookkeeping).
func (r *Roster) SetStatus(id, status string) bool {
	return r.Update(id, func(m *justworks.Member) { m.Status = status })
}

// Remove deletes member id from the roster (as if outside the company's view).
func (r *Roster) Remove(id string) bool {
	i, ok := r.find(id)
	if ok {
		r.members = slices.Delete(r.members, i, i+1)
		delete(r.drift, id)
	}
	return ok
}

func (r *Roster) find(id string) (int, bool) {
	return slices.BinarySearchFunc(r.members, id, func(m justworks.Member, id string) int {
		return strings.Compare(m.ID, id)
	})
}

// after is the index of the first member whose id sorts after id.
func (r *Roster) after(id string) int {
	i, ok := r.find(id)
	if ok {
		i++
	}
	return i
}

// gapID is a free id between member i and the next one, or NewID when there is
// none, so a hire can land in the middle of a paging client's walk.
func (r *Roster) gapID(i int) string {
	if i >= 0 && i+1 < len(r.members) {
		a, errA := idNumber(r.members[i].ID)
		b, errB := idNumber(r.members[i+1].ID)
		if errA == nil && errB == nil && b-a > 1 {
			return idOf(int(a + 1))
		}
	}
	return r.NewID()
}

func idNumber(id string) (int64, error) {
	return strconv.ParseInt(strings.TrimPrefix(id, "mem_"), 16, 64)
}

func (r *Roster) stamp() time.Time { return r.now().UTC().Truncate(time.Second) }
func (r *Roster) today() string    { return r.now().UTC().Format(time.DateOnly) }

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func cloneMember(m justworks.Member) justworks.Member {
	m.PreferredName = cloneString(m.PreferredName)
	m.WorkEmail = cloneString(m.WorkEmail)
	m.JobTitle = cloneString(m.JobTitle)
	m.ManagerID = cloneString(m.ManagerID)
	m.TerminationDate = cloneString(m.TerminationDate)
	if m.Department != nil {
		d := *m.Department
		m.Department = &d
	}
	if m.WorkLocation != nil {
		l := *m.WorkLocation
		m.WorkLocation = &l
	}
	return m
}

func cloneString(p *string) *string {
	if p == nil {
		return nil
	}
	s := *p
	return &s
}
