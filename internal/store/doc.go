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
//	(*Store) SaveOrg(ctx, OrgWrite, update func(Org) (Org, error)) (Org, error) // under the org's row lock; ErrExists
//	(*Store) UpsertOrg(ctx, Org) (created bool, err error)          // tests and tools: write an org as given
//	(*Store) SetUser(ctx, orgID, email string, level domain.Level) error // the first owner; last-owner rule kept
//	(*Store) GrantLevel(ctx, Grant) (domain.Level, error)           // domain.MayGrant and the change, one transaction
//	(*Store) UserLevel(ctx, orgID, email string) (domain.Level, error) // LevelNone when not a user of the org
//	(*Store) BlockLogin(ctx, orgID, reason string) error
//	(*Store) LoginGuard(ctx, orgID) (LoginGuardState, error)       // unheard password steps (login_guard)
//	(*Store) ClaimPasswordStep(ctx, orgID, lease, admit func(LoginGuardState) error) error // counts a step before it leaves
//	(*Store) SettlePasswordStep(ctx, orgID, heard bool, why string) (LoginGuardState, error)
//	(*Store) ResetLoginGuard(ctx, orgID) error                     // also done by SaveOrg on new credentials or ResumeLogins
//	(*Store) BeginRun(ctx, Run) error                              // idempotent per RunID
//	(*Store) SaveSession(ctx, runID string, sealedToken []byte) error
//	(*Store) LoadSession(ctx, runID string) ([]byte, error)        // nil when none
//	(*Store) ClaimFetch(ctx, runID string, attempt int32, resumeSeq int64) (*FetchClaim, error) // drops rows ≥ resumeSeq; ErrSuperseded
//	(*FetchClaim) Stage(ctx, firstSeq int64, members []justworks.Member) error // StageMembers while the claim holds
//	(*Store) ResetStaging(ctx, runID string) error
//	(*Store) StageMembers(ctx, runID string, firstSeq int64, members []justworks.Member) error // one COPY
//	(*Store) StagedCount(ctx, runID string) (int, error)           // distinct ids, skipped ones left out
//	(*Store) StagedRows(ctx, runID string) (int64, error)          // rows, copies included (resume check)
//	(*Store) StagedPeople(ctx, runID string) ([]orgtree.Person, error) // last copy of each id wins
//	(*Store) RecordFetchReport(ctx, runID string) error             // skipped members, values outside the enums
//	(*Store) StageTree(ctx, runID, headID string, r orgtree.Result) error
//	(*Store) ApplyRoster(ctx, ApplyParams) (ApplyResult, error)    // one transaction; idempotent per run
//	(*Store) RunChanges(ctx, runID string, limitPerKind int) ([]Change, error)
//	(*Store) RunProblems(ctx, runID string, limit int) ([]ExportProblem, error)
//	(*Store) FinishRun(ctx, runID string, outcome domain.Outcome, c domain.Counts, errText string) error // also drops the run's staging
//	(*Store) LastRuns(ctx, orgID string, n int) ([]Run, error)
//	(*Store) ClaimNotification(ctx, runID, recipient string) (bool, error)
//	(*Store) MarkNotified(ctx, runID, recipient string) error
//	(*Store) ReleaseNotification(ctx, runID, recipient string) error
//	(*Store) Export(ctx, orgID string) (Export, error)
//
// Also available:
//
//	(*Store) DB() *sqlx.DB                                          // the pool, for tests and tools
//	(*Store) ExportCSV(ctx, orgID string, w io.Writer) error        // the export's people as CSV
//	(*Store) DropStaging(ctx, runID string) error                   // staging and session of a run that ends without FinishRun
//	(*Store) PruneStaging(ctx, olderThan time.Duration) (int, error) // leftovers of finished or crashed runs
//	(*Store) GetRun(ctx, runID string) (Run, error)                 // ErrNotFound
//	(*Store) ListOrgs(ctx) ([]Org, error)
//	(*Store) Users(ctx, orgID string) ([]OrgUser, error)
//	(*Store) RemoveUser(ctx, orgID, email string) error
//	(*Store) RunSectionTotals(ctx, runID string) (map[domain.Section]int, error)
//	(*Store) BeginHold(ctx, runID string) (Hold, error)             // a held run starts waiting (hold.go)
//	(*Store) RecordDecision(ctx, runID string, d domain.Decision, by, via string) error
//	(*Store) PendingDecision(ctx, orgID string) (*HeldRun, error)   // the org's held run, nil when none
//	(*Store) StagedChanges(ctx, runID string, limitPerKind int) ([]Change, error) // a held run's or preview's change set
//	(*Store) StagedSectionTotals(ctx, runID string) (map[domain.Section]int, error)
//	(*Store) SavePreview(ctx, runID string, Preview) error / RunPreview(ctx, runID) (Preview, error)
//	(*Store) RunSkipped(ctx, runID string, limit int) ([]SkippedMember, int, error)
//	(*Store) RunUnknownValues(ctx, runID string) ([]UnknownValue, error)
//	NormalizeEmail(email string) string, DefaultSafetyThreshold, SafetyLimitHint
//
// For the people-ops console (migration 0004_console.sql):
//
//	(*Store) SetPasswordHash(ctx, email, hash string) error         // accounts.go: argon2id PHC string
//	(*Store) PasswordHash(ctx, email string) (string, time.Time, error) // ErrNotFound without an account
//	(*Store) OrgsOf(ctx, email string) ([]UserOrg, error)
//	(*Store) RecordSignInFailure(ctx, email string, keep time.Duration) error
//	(*Store) SignInFailures(ctx, email string, window time.Duration) (int, time.Time, error)
//	(*Store) ClearSignInFailures(ctx, email string) error
//	(*Store) SecretsSetAt(ctx, orgID string) (password, totp *time.Time, err error)
//	(*Store) CreateInvitation(ctx, token string, Invitation) error  // invitations.go: only the token's SHA-256 is kept
//	(*Store) PendingInvitation(ctx, token string) (Invitation, error) // ErrInvitationUsed
//	(*Store) AcceptInvitation(ctx, token, passwordHash string) (Invitation, error) // once; never lowers a level
//	(*Store) Invitations(ctx, orgID string) ([]Invitation, error)
//	(*Store) Audit(ctx, AuditEntry) error                          // audit.go
//	(*Store) AuditLog(ctx, orgID string, n int) ([]AuditEntry, error)
//	(*Store) DisplayNames(ctx, orgID string, ids []string) (map[string]string, error) // names.go
//
// Errors: ErrNotFound (a missing org or run), ErrSuperseded (a newer fetch
// attempt claimed the run's staging), ErrBadInput (data that can never
// be stored as sent; retrying cannot help), ErrExists (an org to create exists);
// the access policy's refusals are *domain.RefusedError.
//
// Data model, in migrations/0001_schema.sql: everything is keyed by org; member
// ids sort in byte order (COLLATE "C"). A run's fetched members go to UNLOGGED
// staging tables keyed by run id (the last copy of an id, by seq, wins);
// ApplyRoster diffs them against people in one transaction and writes only
// what changed, with one change_log row per changed person. People are never
// deleted: one missing from the roster gets status "removed".
package store
