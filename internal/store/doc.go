// Package store owns Rostersync's PostgreSQL data: embedded migrations, orgs and
// their users, sync runs, the per-run staging of fetched members (COPY), the
// set-based diff and apply into the primary org chart, the change log,
// notification claims and the export.
//
// API used by activities and the starter (implemented in the files named after them):
//
//	Open(ctx, databaseURL string, log *zap.Logger) (*Store, error)
//	(*Store) Close() error
//	(*Store) Migrate(ctx) error                                   // advisory-locked, safe with many workers
//	(*Store) GetOrg(ctx, id) (Org, error)                          // ErrNotFound
//	(*Store) UpsertOrg(ctx, Org) (created bool, err error)
//	(*Store) SetUser(ctx, orgID, email, level string) error
//	(*Store) UserLevel(ctx, orgID, email string) (string, error)   // "" when not a user of the org
//	(*Store) BlockLogin(ctx, orgID, reason string) error
//	(*Store) BeginRun(ctx, Run) error                              // idempotent per RunID
//	(*Store) SaveSession(ctx, runID string, sealedToken []byte) error
//	(*Store) LoadSession(ctx, runID string) ([]byte, error)        // nil when none
//	(*Store) ResetStaging(ctx, runID string) error
//	(*Store) StageMembers(ctx, runID string, firstSeq int64, members []justworks.Member) error // one COPY
//	(*Store) StagedCount(ctx, runID string) (int, error)           // distinct ids
//	(*Store) StagedPeople(ctx, runID string) ([]orgtree.Person, error) // last copy of each id wins
//	(*Store) StageTree(ctx, runID, headID string, r orgtree.Result) error
//	(*Store) ApplyRoster(ctx, ApplyParams) (ApplyResult, error)    // one transaction; idempotent per run
//	(*Store) RunChanges(ctx, runID string, limitPerKind int) ([]Change, error)
//	(*Store) RunProblems(ctx, runID string, limit int) ([]ExportProblem, error)
//	(*Store) FinishRun(ctx, runID, outcome string, c Counts, errText string) error // also drops the run's staging
//	(*Store) LastRuns(ctx, orgID string, n int) ([]Run, error)
//	(*Store) ClaimNotification(ctx, runID, recipient string) (bool, error)
//	(*Store) MarkNotified(ctx, runID, recipient string) error
//	(*Store) ReleaseNotification(ctx, runID, recipient string) error
//	(*Store) Export(ctx, orgID string) (Export, error)
package store
