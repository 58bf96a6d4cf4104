package domain

// Fields an org may ignore, or give to Rostersync to own (the sync then keeps
// the local value and reports the Justworks one it kept out).
const (
	FieldPreferredName = "preferred_name"
	FieldWorkEmail     = "work_email"
	FieldLocation      = "location"
)

// OptionalFields lists them, in the export's column order.
var OptionalFields = []string{FieldPreferredName, FieldWorkEmail, FieldJobTitle, FieldDepartment, FieldLocation}

// Sections of the summary for scoping and field ownership.
const (
	SectionExcluded Section = "excluded" // members the org's scope leaves out
	SectionKeptOut  Section = "kept_out" // Justworks values kept out of fields Rostersync owns
	// SectionScheduled: terminations Justworks sent ahead of their date.
	SectionScheduled Section = "scheduled_terminations"
)

// ActionEditPeople is editing a person's Rostersync-owned fields.
const ActionEditPeople Action = "editing people's fields"
