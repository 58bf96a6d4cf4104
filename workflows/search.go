package workflows

import "go.temporal.io/sdk/temporal"

// Custom search attributes: list syncs by org and outcome in Temporal Web.
// The worker registers them at start-up when the server lacks them.
var (
	OrgAttribute     = temporal.NewSearchAttributeKeyKeyword("RostersyncOrg")
	OutcomeAttribute = temporal.NewSearchAttributeKeyKeyword("RostersyncOutcome")
)
