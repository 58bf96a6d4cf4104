package justworks

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"go.uber.org/zap"
)

// maxStuckPages is how many empty pages in a row may hand back the cursor that
// fetched them before ListMembers calls it a loop.
const maxStuckPages = 3

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
	restarts, stuck := 0, 0
	restarted := false
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

// decodeMembers decodes a page's members and rejects members without id: a
// person dropped from the roster would look terminated to the sync.
func decodeMembers(op string, raw json.RawMessage) ([]Member, error) {
	if len(raw) == 0 {
		return nil, &Error{Op: op, Status: http.StatusOK, Code: CodeInvalidResponse, Message: "the page has no \"members\" field"}
	}
	var ms []Member
	if err := json.Unmarshal(raw, &ms); err != nil {
		return nil, &Error{Op: op, Status: http.StatusOK, Code: CodeInvalidResponse, Message: "the page's members are not the expected JSON: " + err.Error()}
	}
	for i := range ms {
		if ms[i].ID == "" {
			return nil, &Error{Op: op, Status: http.StatusOK, Code: CodeInvalidResponse, Message: fmt.Sprintf("member %d of the page has no id", i+1)}
		}
	}
	return ms, nil
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
