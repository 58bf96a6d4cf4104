package domain

// FetchProgress is the heartbeat of the fetch step: where to resume after a
// retry, and what `starter sync --wait` and the console show while it runs.
type FetchProgress struct {
	Cursor   string `json:"cursor"`   // next cursor to request ("" with Pages > 0 means done)
	NextSeq  int64  `json:"next_seq"` // staging sequence of the next member row
	Pages    int    `json:"pages"`    // pages staged so far
	Received int    `json:"received"` // member rows staged so far
	Done     bool   `json:"done"`     // the last page was staged
	Restarts int    `json:"restarts"` // cursor_expired restarts
}
