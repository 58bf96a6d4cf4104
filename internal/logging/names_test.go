package logging

import (
	"fmt"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/rostersync/rostersync/internal/domain"
)

// The SDK logs a failed activity's error at Error level; a head that was not
// found quotes the closest employees' names, which must not reach the log.
func TestSDKLoggerWithholdsErrorsThatNamePeople(t *testing.T) {
	core, logs := observer.New(zap.DebugLevel)
	l := SDKLogger(zap.New(core))
	named := temporal.NewNonRetryableApplicationError(`no active member is named "Ada Lovelace" (closest: "Ada Lovelase")`, string(domain.ErrTypeHeadNotFound), nil)
	l.Error("Activity error.", "ActivityType", "ResolveOrgTree", "Error", fmt.Errorf("wrapped: %w", named))
	l.Error("Activity error.", "Error", temporal.NewApplicationError("Justworks is unavailable", string(domain.ErrTypeJustworksRetryable)))

	entries := logs.All()
	if len(entries) != 2 {
		t.Fatalf("%d entries", len(entries))
	}
	first := fmt.Sprint(entries[0].ContextMap())
	if strings.Contains(first, "Ada") || !strings.Contains(first, "HeadNotFound") {
		t.Errorf("head error logged as %s", first)
	}
	if second := fmt.Sprint(entries[1].ContextMap()); !strings.Contains(second, "Justworks is unavailable") {
		t.Errorf("an error without names lost its message: %s", second)
	}
}
