package console

import (
	"github.com/rostersync/rostersync/internal/domain"
)

// The console asks the one access policy (internal/domain); it never decides
// a level itself.

func maySync(level domain.Level) bool { return domain.MaySync(level) }

// levelLabel is a level as the console's pages name it.
func levelLabel(level domain.Level) string {
	switch level {
	case domain.LevelOwner:
		return "Owner"
	case domain.LevelTechnicalOwner:
		return "Technical Owner"
	case domain.LevelAdmin:
		return "Admin"
	case domain.LevelMember:
		return "Member"
	}
	return "No access"
}

// syncRefusal is the policy's refusal of a sync (and of changing the
// connection) for this user, as the policy words it.
func syncRefusal(email string, level domain.Level, org string) string {
	if err := domain.Authorize(email, level, org, domain.ActionSync); err != nil {
		return err.Error()
	}
	return ""
}
