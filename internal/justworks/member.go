package justworks

import "time"

// Member is one person as the contract sends it. Nullable fields are pointers so
// that "absent" (nil: null or missing key) stays distinct from "empty" ("").
type Member struct {
	ID              string      `json:"id"`
	GivenName       string      `json:"given_name"`
	FamilyName      string      `json:"family_name"`
	PreferredName   *string     `json:"preferred_name"`
	WorkEmail       *string     `json:"work_email"`
	JobTitle        *string     `json:"job_title"`
	Department      *Department `json:"department"`
	ManagerID       *string     `json:"manager_id"`
	EmploymentType  string      `json:"employment_type"`
	Status          string      `json:"status"`
	StartDate       string      `json:"start_date"`
	TerminationDate *string     `json:"termination_date"`
	WorkLocation    *Location   `json:"work_location"`
	UpdatedAt       time.Time   `json:"updated_at"`

	// DecodeError is set by ListMembers when this member's JSON did not fit
	// the contract's types (a number where a string belongs, ...); then only
	// ID, GivenName and FamilyName are filled, as far as they are strings.
	// The caller skips and reports such a member instead of failing the page.
	DecodeError string `json:"-"`
}

// Department is a member's department.
type Department struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Location is a member's work location.
type Location struct {
	Name    string `json:"name"`
	City    string `json:"city"`
	State   string `json:"state"`
	Country string `json:"country"`
}

// Company is the answer of GET /v1/company.
type Company struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	LegalName string `json:"legal_name"`
}

// Member statuses and employment types of the contract.
const (
	StatusPending    = "pending"
	StatusActive     = "active"
	StatusOnLeave    = "on_leave"
	StatusTerminated = "terminated"

	EmploymentFullTime   = "full_time"
	EmploymentPartTime   = "part_time"
	EmploymentContractor = "contractor"
	EmploymentIntern     = "intern"
)

// Credentials are what a dedicated Justworks user logs in with. They live only in
// worker memory; String never prints them.
type Credentials struct {
	Username   string
	Password   string
	TOTPSecret string // base32 setup key shown when 2FA is enabled
}

// String hides the secrets so a stray %v in a log line cannot leak them.
func (c Credentials) String() string {
	return "justworks.Credentials{Username:" + c.Username + ", Password:***, TOTPSecret:***}"
}

// GoString hides the secrets from %#v as well.
func (c Credentials) GoString() string { return c.String() }

// hasLogin reports whether the credentials can open a session at all; a client
// without them can only use a token handed over with SetToken.
func (c Credentials) hasLogin() bool {
	return c.Username != "" || c.Password != "" || c.TOTPSecret != ""
}
