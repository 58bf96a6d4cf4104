package justworks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"go.uber.org/zap"
)

// maxStuckPages is how many empty pages in a row may hand back the cursor that
// fetched them before ListMembers calls it a loop.
const maxStuckPages = 3

// maxPagesWithoutNews is how many pages in a row may bring no member this
// call has not seen yet, each with a new cursor, before ListMembers calls it
// a vendor that hands out cursors forever. Short, empty and repeated pages
// are normal; fifty of them in a row, without one new member, are not.
const maxPagesWithoutNews = 50

// Page is one page of members as ListMembers hands it to its callback.
type Page struct {
	Members []Member
	// Cursor is the cursor that fetched this page ("" = the first page). A caller
	// that stops (or fails) after handling a page resumes with its NextCursor.
	Cursor string
	// NextCursor fetches the following page; "" on the last page.
	NextCursor string
	// Restarted is set on the first page after paging started over from the
	// beginning because a cursor expired: members already handled come again.
	Restarted bool
}

// ListMembers pages through the roster from cursor ("" = the start) to the end
// and calls fn once per page, in order; it holds one page at a time. An error of
// fn stops paging and is returned as is.
//
// The roster can change while it is paged, and paging restarts from the first
// page when a cursor expires (Page.Restarted), so a member can come more than
// once: ListMembers passes duplicates through and the caller de-duplicates by
// id, the last copy winning. Short and empty pages are normal.
//
// Errors are *Error. A retryable one (5xx after the in-client retries, a long
// Retry-After, transport) leaves the caller to resume later with the NextCursor
// of the last page it handled.
func (c *Client) ListMembers(ctx context.Context, cursor string, fn func(Page) error) error {
	const op = "list members"
	restarts, stuck, noNews := 0, 0, 0
	restarted := false
	seen := map[string]struct{}{} // member ids this call received (since the last restart)
	for n := 1; ; n++ {
		q := url.Values{"limit": {strconv.Itoa(c.pageSize)}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var raw struct {
			Members    json.RawMessage `json:"members"`
			NextCursor *string         `json:"next_cursor"`
		}
		err := c.do(ctx, request{op: op, method: http.MethodGet, path: "/v1/members", query: q, auth: true}, &raw)
		if err != nil {
			if ErrorCode(err) == CodeCursorExpired && cursor != "" && restarts < maxCursorRestarts {
				restarts++
				restarted = true
				cursor = ""
				clear(seen)
				noNews = 0
				c.log.Info("justworks cursor expired; paging again from the start", zap.Int("restart", restarts))
				continue
			}
			return err
		}
		page := Page{Cursor: cursor, Restarted: restarted}
		if page.Members, err = decodeMembers(op, raw.Members); err != nil {
			return err
		}
		if raw.NextCursor != nil {
			// An empty cursor would fetch the first page again; ending there instead
			// would look like people leaving. The same cursor again (an empty page)
			// is allowed a few times, then taken for a loop.
			same := *raw.NextCursor == cursor
			if same {
				stuck++
			} else {
				stuck = 0
			}
			if *raw.NextCursor == "" || (same && len(page.Members) > 0) || stuck > maxStuckPages {
				return &Error{Op: op, Status: http.StatusOK, Code: CodeInvalidResponse, Message: fmt.Sprintf("page %d has a next_cursor that does not advance", n)}
			}
			page.NextCursor = *raw.NextCursor
			news := false
			for _, m := range page.Members {
				if _, ok := seen[m.ID]; !ok {
					seen[m.ID] = struct{}{}
					news = true
				}
			}
			if noNews++; news {
				noNews = 0
			}
			if noNews >= maxPagesWithoutNews {
				return &Error{Op: op, Status: http.StatusOK, Code: CodeInvalidResponse, Message: fmt.Sprintf(
					"page %d is the %dth in a row that brings no member not seen before, yet names a next page; the paging never ends, so nothing is applied", n, noNews)}
			}
		}
		restarted = false
		c.log.Debug("justworks members page", zap.Int("page", n), zap.Int("members", len(page.Members)), zap.Bool("last", page.NextCursor == ""))
		if err := fn(page); err != nil {
			return err
		}
		if page.NextCursor == "" {
			return nil
		}
		cursor = page.NextCursor
	}
}

// decodeMembers decodes a page's members one by one. A member whose JSON does
// not fit the contract's types comes back with DecodeError set, and a member
// without an id comes back too: the caller skips and reports them, so one
// odd member neither fails the page nor vanishes silently. Absent keys are
// empty values; unknown keys are ignored.
func decodeMembers(op string, raw json.RawMessage) ([]Member, error) {
	if len(raw) == 0 {
		return nil, &Error{Op: op, Status: http.StatusOK, Code: CodeInvalidResponse, Message: "the page has no \"members\" field"}
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(raw, &raws); err != nil {
		return nil, &Error{Op: op, Status: http.StatusOK, Code: CodeInvalidResponse, Message: "the page's members are not a JSON array: " + err.Error()}
	}
	ms := make([]Member, len(raws))
	for i, r := range raws {
		if err := json.Unmarshal(r, &ms[i]); err != nil {
			ms[i] = undecodableMember(r, err)
		}
	}
	return ms, nil
}

// undecodableMember keeps what identifies a member whose JSON did not fit.
func undecodableMember(raw json.RawMessage, err error) Member {
	var loose map[string]any
	_ = json.Unmarshal(raw, &loose)
	str := func(k string) string { s, _ := loose[k].(string); return s }
	msg := err.Error()
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		msg = fmt.Sprintf("%s is a JSON %s, not a %s", te.Field, te.Value, te.Type)
	}
	return Member{ID: str("id"), GivenName: str("given_name"), FamilyName: str("family_name"), DecodeError: msg}
}

// Member returns one member by id; an unknown id is a non-retryable
// *Error{Code: CodeNotFound}.
func (c *Client) Member(ctx context.Context, id string) (Member, error) {
	const op = "read a member"
	if id == "" {
		return Member{}, &Error{Op: op, Code: CodeInvalidRequest, Message: "the member id is empty"}
	}
	var m Member
	err := c.do(ctx, request{op: op, method: http.MethodGet, path: "/v1/members/" + url.PathEscape(id), auth: true}, &m)
	if err != nil {
		return Member{}, err
	}
	if m.ID != id {
		return Member{}, &Error{Op: op, Status: http.StatusOK, Code: CodeInvalidResponse, Message: fmt.Sprintf("asked for member %q, got %q", id, m.ID)}
	}
	return m, nil
}
