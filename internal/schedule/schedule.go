package schedule

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/rostersync/rostersync/internal/store"
	"github.com/rostersync/rostersync/workflows"
)

// ParseTimeOfDay reads exactly "HH:MM" (24-hour clock, two digits each).
func ParseTimeOfDay(s string) (hour, minute int, err error) {
	bad := fmt.Errorf("time of day %q is not HH:MM on a 24-hour clock (e.g. 06:30)", s)
	if len(s) != 5 || s[2] != ':' {
		return 0, 0, bad
	}
	for _, i := range []int{0, 1, 3, 4} {
		if s[i] < '0' || s[i] > '9' {
			return 0, 0, bad
		}
	}
	hour, _ = strconv.Atoi(s[:2])
	minute, _ = strconv.Atoi(s[3:])
	if hour > 23 || minute > 59 {
		return 0, 0, bad
	}
	return hour, minute, nil
}

// Spec is the daily calendar of an org: once a day at its time in its zone.
func Spec(org store.Org) (client.ScheduleSpec, error) {
	h, m, err := ParseTimeOfDay(org.DailyTime)
	if err != nil {
		return client.ScheduleSpec{}, err
	}
	if _, err := time.LoadLocation(org.TimeZone); err != nil {
		return client.ScheduleSpec{}, fmt.Errorf("time zone %q: %w", org.TimeZone, err)
	}
	return client.ScheduleSpec{
		Calendars: []client.ScheduleCalendarSpec{{
			Hour:   []client.ScheduleRange{{Start: h}},
			Minute: []client.ScheduleRange{{Start: m}},
		}},
		TimeZoneName: org.TimeZone,
	}, nil
}

func action(org store.Org, taskQueue string) *client.ScheduleWorkflowAction {
	return &client.ScheduleWorkflowAction{
		// The server appends the scheduled time to this ID; DailySync then
		// starts (or joins) the org's one fixed-ID sync.
		ID:            "sync-roster-daily-run:" + org.ID,
		Workflow:      workflows.DailySync,
		Args:          []any{workflows.SyncInput{Org: org.ID, RequestedBy: org.ScheduleAs}},
		TaskQueue:     taskQueue,
		StaticSummary: fmt.Sprintf("Daily sync of %s (as %s)", org.ID, org.ScheduleAs),
	}
}

// Ensure makes the org's schedule match its config: daily on → created or
// updated (and unpaused when resume is set: the daily time was given again);
// daily off → paused, if it exists. It returns a short description of what
// it did.
func Ensure(ctx context.Context, c client.Client, org store.Org, taskQueue string, resume bool) (string, error) {
	id := workflows.ScheduleID(org.ID)
	h := c.ScheduleClient().GetHandle(ctx, id)
	if !org.Daily {
		if _, err := h.Describe(ctx); err != nil {
			if isNotFound(err) {
				return "no daily schedule", nil
			}
			return "", fmt.Errorf("describe schedule %s: %w", id, err)
		}
		if err := h.Pause(ctx, client.SchedulePauseOptions{Note: "daily sync turned off in the org's config"}); err != nil {
			return "", fmt.Errorf("pause schedule %s: %w", id, err)
		}
		return "daily schedule paused", nil
	}
	spec, err := Spec(org)
	if err != nil {
		return "", err
	}
	_, err = c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:      id,
		Spec:    spec,
		Action:  action(org, taskQueue),
		Overlap: enums.SCHEDULE_OVERLAP_POLICY_SKIP,
		Note:    "created by " + org.ScheduleAs,
	})
	if err == nil {
		return fmt.Sprintf("daily schedule created (%s %s)", org.DailyTime, org.TimeZone), nil
	}
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return "", fmt.Errorf("create schedule %s: %w", id, err)
	}
	// It exists: bring spec, action and state up to date.
	err = h.Update(ctx, client.ScheduleUpdateOptions{DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
		s := in.Description.Schedule
		s.Spec = &spec
		s.Action = action(org, taskQueue)
		if s.Policy == nil {
			s.Policy = &client.SchedulePolicies{}
		}
		s.Policy.Overlap = enums.SCHEDULE_OVERLAP_POLICY_SKIP
		if s.State == nil {
			s.State = &client.ScheduleState{}
		}
		if resume {
			s.State.Paused = false
			s.State.Note = "updated by " + org.ScheduleAs
		}
		return &client.ScheduleUpdate{Schedule: &s}, nil
	}})
	if err != nil {
		return "", fmt.Errorf("update schedule %s: %w", id, err)
	}
	return fmt.Sprintf("daily schedule updated (%s %s)", org.DailyTime, org.TimeZone), nil
}

// State describes an org's schedule for `starter status`.
type State struct {
	Exists  bool        `json:"exists"`
	Paused  bool        `json:"paused"`
	Note    string      `json:"note,omitempty"`
	NextRun []time.Time `json:"next_runs,omitempty"`
}

// Describe reads the org's schedule state.
func Describe(ctx context.Context, c client.Client, orgID string) (State, error) {
	d, err := c.ScheduleClient().GetHandle(ctx, workflows.ScheduleID(orgID)).Describe(ctx)
	if err != nil {
		if isNotFound(err) {
			return State{}, nil
		}
		return State{}, err
	}
	st := State{Exists: true, NextRun: d.Info.NextActionTimes}
	if d.Schedule.State != nil {
		st.Paused, st.Note = d.Schedule.State.Paused, d.Schedule.State.Note
	}
	return st, nil
}

func isNotFound(err error) bool {
	var nf *serviceerror.NotFound
	return errors.As(err, &nf)
}
