package domain

import (
	"errors"
	"fmt"
	"strings"
)

// Level is a person's access level in an org. The zero Level is no access.
type Level string

// Access levels, highest first. The org_users table's CHECK constraint lists
// the same values (a store test keeps them equal).
const (
	LevelOwner          Level = "owner"
	LevelTechnicalOwner Level = "technical_owner"
	LevelAdmin          Level = "admin"
	LevelMember         Level = "member"
	LevelNone           Level = ""
)

// Levels lists the access levels, highest first.
var Levels = []Level{LevelOwner, LevelTechnicalOwner, LevelAdmin, LevelMember}

// ParseLevel accepts exactly one of Levels.
func ParseLevel(s string) (Level, error) {
	for _, l := range Levels {
		if string(l) == s {
			return l, nil
		}
	}
	names := make([]string, len(Levels))
	for i, l := range Levels {
		names[i] = string(l)
	}
	return LevelNone, fmt.Errorf("access level %q: use %s", s, strings.Join(names, ", "))
}

// Rank orders levels: owner 4 … member 1, no access 0.
func (l Level) Rank() int {
	for i, x := range Levels {
		if x == l {
			return len(Levels) - i
		}
	}
	return 0
}

// Label is the level as shown to people ("no access" for none).
func (l Level) Label() string {
	if l.Rank() == 0 {
		return "no access"
	}
	return string(l)
}

// Action is something the access policy decides on.
type Action string

// Actions that need a level. Every one of them needs technical_owner or above:
// whoever may start a sync may also say where it logs in and whom it emails.
const (
	ActionSync        Action = "starting a sync"
	ActionManageOrg   Action = "changing the org's settings"
	ActionManageUsers Action = "changing who has access"
	ActionDecide      Action = "approving or rejecting a held sync"
)

// MinimumLevel is the lowest level allowed to act.
const MinimumLevel = LevelTechnicalOwner

// MaySync says whether a level may start a sync (technical_owner or above).
func MaySync(l Level) bool { return l.Rank() >= MinimumLevel.Rank() }

// RefusedError is the access policy's refusal: it says who lacked what, and
// who can change that. Callers show it as it is.
type RefusedError struct{ msg string }

func (e *RefusedError) Error() string { return e.msg }

// IsRefused reports whether err is (or wraps) a refusal of the access policy.
func IsRefused(err error) bool {
	var r *RefusedError
	return errors.As(err, &r)
}

func refused(format string, args ...any) error {
	return &RefusedError{msg: fmt.Sprintf(format, args...)}
}

// Authorize is the one access check: nil when who, at level have in org, may
// act; else the one refusal message.
func Authorize(who string, have Level, org string, act Action) error {
	if MaySync(have) {
		return nil
	}
	return refused("%s has access level %q in org %s; %s needs technical_owner or owner (an owner can grant it with `starter user set --org %s --email %s --level technical_owner --as OWNER`)",
		who, have.Label(), org, act, org, who)
}

// Grant is a change of one person's level: by whom (at which level), whose,
// from which level to which (LevelNone to take access away).
type Grant struct {
	Org         string
	Actor       string
	ActorLevel  Level
	Target      string
	From, To    Level
	OwnersInOrg int // owners of the org before the change
}

// MayGrant decides a Grant. Technical owners manage admins and members; only
// an owner grants or takes away owner and technical_owner (anyone may lower
// their own level), so nobody raises anyone above their own level; and the
// last owner stays.
func MayGrant(g Grant) error {
	if err := Authorize(g.Actor, g.ActorLevel, g.Org, ActionManageUsers); err != nil {
		return err
	}
	self := g.Actor == g.Target
	high := func(l Level) bool { return l.Rank() >= LevelTechnicalOwner.Rank() }
	if g.ActorLevel != LevelOwner {
		if g.To == LevelOwner || (high(g.To) && !self) || (high(g.From) && !self) {
			return refused("only an owner of %s can grant or change owner and technical_owner access", g.Org)
		}
	}
	return LastOwner(g.Org, g.Target, g.From, g.To, g.OwnersInOrg)
}

// LastOwner is the last-owner rule: an org always keeps an owner. owners is
// how many the org has before the change.
func LastOwner(org, target string, from, to Level, owners int) error {
	if from == LevelOwner && to != LevelOwner && owners <= 1 {
		return refused("%s is the last owner of %s; make someone else owner first", target, org)
	}
	return nil
}
