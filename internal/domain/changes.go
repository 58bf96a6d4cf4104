package domain

// ChangeKind is the kind of one change-log row.
type ChangeKind string

// Change kinds. The change_log table's CHECK constraint lists the same
// values (a store test keeps them equal).
const (
	ChangeHire        ChangeKind = "hire"
	ChangeTermination ChangeKind = "termination"
	ChangeRehire      ChangeKind = "rehire"
	ChangeUpdate      ChangeKind = "update"
	ChangeRemoved     ChangeKind = "removed"
)

// ChangeKinds lists every change kind in the order summaries show them.
var ChangeKinds = []ChangeKind{ChangeHire, ChangeTermination, ChangeRehire, ChangeUpdate, ChangeRemoved}

// Section is one list of the summary email (and of a run's page).
type Section string

// Sections, in the order the email shows them.
const (
	SectionHires        Section = "hires"
	SectionTerminations Section = "terminations"
	SectionRehires      Section = "rehires"
	SectionTitleChanges Section = "title_changes"
	SectionManagerMoves Section = "manager_moves"
	SectionRemoved      Section = "removed"
	SectionProblems     Section = "problems"
)

// Sections lists every section in the order the email shows them.
var Sections = []Section{SectionHires, SectionTerminations, SectionRehires, SectionTitleChanges,
	SectionManagerMoves, SectionRemoved, SectionProblems}

// Fields of a person that summaries list by field.
const (
	FieldJobTitle   = "job_title"
	FieldManagerID  = "manager_id"
	FieldDepartment = "department"
)
