package domain

import (
	"strings"
	"testing"
)

func TestLevelsRankAndParse(t *testing.T) {
	for i, l := range Levels {
		got, err := ParseLevel(string(l))
		if err != nil || got != l {
			t.Errorf("ParseLevel(%q) = %q, %v", l, got, err)
		}
		if l.Rank() != len(Levels)-i {
			t.Errorf("%s.Rank() = %d", l, l.Rank())
		}
	}
	for _, bad := range []string{"", "Owner", "superuser", " owner"} {
		if _, err := ParseLevel(bad); err == nil {
			t.Errorf("ParseLevel(%q) accepted", bad)
		}
	}
	if LevelNone.Rank() != 0 || Level("root").Rank() != 0 || LevelNone.Label() != "no access" {
		t.Error("unknown levels must rank as no access")
	}
}

func TestAuthorize(t *testing.T) {
	for _, tt := range []struct {
		level Level
		ok    bool
	}{{LevelOwner, true}, {LevelTechnicalOwner, true}, {LevelAdmin, false}, {LevelMember, false}, {LevelNone, false}, {"root", false}} {
		err := Authorize("pat@acme.example", tt.level, "acme", ActionSync)
		if (err == nil) != tt.ok {
			t.Errorf("Authorize(%q) = %v, want ok=%v", tt.level, err, tt.ok)
		}
		if err != nil {
			if !IsRefused(err) {
				t.Errorf("refusal is not a *RefusedError: %T", err)
			}
			for _, want := range []string{"pat@acme.example", tt.level.Label(), "acme", "starting a sync", "technical_owner", "starter user set"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("refusal %q lacks %q", err, want)
				}
			}
		}
	}
}

func TestMayGrant(t *testing.T) {
	const me, you = "me@x", "you@x"
	tests := []struct {
		name          string
		actor         Level
		target        string
		from, to      Level
		owners        int
		ok            bool
		wantInMessage string
	}{
		{"owner makes an owner", LevelOwner, you, LevelNone, LevelOwner, 1, true, ""},
		{"owner demotes another owner", LevelOwner, you, LevelOwner, LevelAdmin, 2, true, ""},
		{"owner demotes the last owner (self)", LevelOwner, me, LevelOwner, LevelAdmin, 1, false, "last owner"},
		{"owner removes the last owner", LevelOwner, you, LevelOwner, LevelNone, 1, false, "last owner"},
		{"technical owner adds a member", LevelTechnicalOwner, you, LevelNone, LevelMember, 1, true, ""},
		{"technical owner promotes an admin to technical owner", LevelTechnicalOwner, you, LevelAdmin, LevelTechnicalOwner, 1, false, "only an owner"},
		{"technical owner demotes another technical owner", LevelTechnicalOwner, you, LevelTechnicalOwner, LevelMember, 1, false, "only an owner"},
		{"technical owner makes self owner", LevelTechnicalOwner, me, LevelTechnicalOwner, LevelOwner, 1, false, "only an owner"},
		{"technical owner lowers self", LevelTechnicalOwner, me, LevelTechnicalOwner, LevelAdmin, 1, true, ""},
		{"technical owner removes an owner", LevelTechnicalOwner, you, LevelOwner, LevelNone, 2, false, "only an owner"},
		{"admin grants anything", LevelAdmin, you, LevelNone, LevelMember, 1, false, "changing who has access"},
		{"nobody grants", LevelNone, you, LevelNone, LevelMember, 1, false, "no access"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := MayGrant(Grant{Org: "acme", Actor: me, ActorLevel: tt.actor, Target: tt.target, From: tt.from, To: tt.to, OwnersInOrg: tt.owners})
			if (err == nil) != tt.ok {
				t.Fatalf("MayGrant = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && (!IsRefused(err) || !strings.Contains(err.Error(), tt.wantInMessage)) {
				t.Errorf("refusal %q (%T) lacks %q", err, err, tt.wantInMessage)
			}
		})
	}
}
