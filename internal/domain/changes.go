package domain

// ChangeKind is the kind of one change-log row.
type ChangeKind string

// Change kinds. The change_log table's CHECK constraint lists the same
// values (a store test keeps them equal).
const (
	ChangeHire        ChangeKind = "hire"
	ChangeTermination ChangeKind = "termination"
	ChangeRehire      ChangeKind = "rehire"
	// ChangeReturned is a person stored as removed (missing from an earlier
	// roster: a short or truncated one, a visibility change) who is on the
	// roster again. Not a rehire: nobody left and came back, so it counts
	// neither as a hire nor against the safety limit.
	ChangeReturned ChangeKind = "returned"
	ChangeUpdate   ChangeKind = "update"
	ChangeRemoved  ChangeKind = "removed"
)

// ChangeKinds lists every change kind in the order summaries show them.
var ChangeKinds = []ChangeKind{ChangeHire, ChangeTermination, ChangeRehire, ChangeReturned, ChangeUpdate, ChangeRemoved}

// Section is one list of the summary email (and of a run's page).
type Section string

// Sections, in the order the email shows them.
const (
	SectionHires        Section = "hires"
	SectionTerminations Section = "terminations"
	SectionRehires      Section = "rehires"
	SectionReturned     Section = "returned" // back on the roster after being removed
	SectionTitleChanges Section = "title_changes"
	SectionManagerMoves Section = "manager_moves"
	SectionRemoved      Section = "removed"
	SectionProblems     Section = "problems"
	// SectionSkipped lists members the sync could not take (a required
	// value missing), with the reason; they were neither stored nor removed.
	SectionSkipped Section = "skipped"
	// SectionUnknownValues lists values outside the documented enums that
	// were stored as received (a new status or employment type).
	SectionUnknownValues Section = "unknown_values"
)

// Sections lists every section in the order the email shows them.
var Sections = []Section{SectionHires, SectionTerminations, SectionRehires, SectionReturned, SectionTitleChanges,
	SectionManagerMoves, SectionRemoved, SectionProblems, SectionSkipped, SectionUnknownValues}

// Fields of a person that summaries list by field.
const (
	FieldJobTitle       = "job_title"
	FieldManagerID      = "manager_id"
	FieldDepartment     = "department"
	FieldStatus         = "status"
	FieldEmploymentType = "employment_type"
)

// ClearableFields are the fields a sync may not blank for more than the
// org's safety share of its active people at once: a vendor-side permission
// change can blank a field for everyone, and an absent key reads as empty.
var ClearableFields = []string{FieldJobTitle, FieldManagerID, FieldDepartment, FieldWorkEmail, FieldLocation}

// SkipReason says why a sync skipped a member: it was neither stored nor
// removed, and the run reports it.
type SkipReason string

// Skip reasons.
const (
	SkipNoID           SkipReason = "no_id"           // the member has no id
	SkipNoGivenName    SkipReason = "no_given_name"   // given_name empty or absent
	SkipNoFamilyName   SkipReason = "no_family_name"  // family_name empty or absent
	SkipNoStatus       SkipReason = "no_status"       // status empty or absent
	SkipReservedStatus SkipReason = "reserved_status" // status "removed", Rostersync's own word
	SkipBadDate        SkipReason = "bad_date"        // a date that is not YYYY-MM-DD
	SkipBadText        SkipReason = "bad_text"        // invalid UTF-8 or a NUL character
	SkipBadJSON        SkipReason = "bad_json"        // the member's JSON does not fit the contract's types
)

// Words is the reason as a reader says it.
func (r SkipReason) Words() string {
	switch r {
	case SkipNoID:
		return "no id"
	case SkipNoGivenName:
		return "no given name"
	case SkipNoFamilyName:
		return "no family name"
	case SkipNoStatus:
		return "no status"
	case SkipReservedStatus:
		return "status \"removed\" is Rostersync's own word"
	case SkipBadDate:
		return "a date that is not a date"
	case SkipBadText:
		return "text that cannot be stored"
	case SkipBadJSON:
		return "data of the wrong type"
	}
	return string(r)
}
