# Entry points; the work is in scripts/ (see each script's header).
.PHONY: tools test bench perf demo faults fuzz

tools:
	scripts/tools.sh

# make test ARGS='-run TestApply ./internal/store'
test:
	scripts/test.sh $(ARGS)

bench:
	scripts/test.sh --bench $(ARGS)

# The performance report (docs/benchmarks.md): PEOPLE=1000,10000,100000,200000,
# LIMITED=1 for the contract's 10 req/s, COMPANIES=1000 for many companies at once.
perf:
	scripts/perf.sh

demo:
	scripts/demo.sh

# The long fault suite (docs/faults.md): ≥ 20 syncs of 3,000 people under
# SIGKILLs, a killed database connection and Justworks faults, with figures.
faults:
	ROSTERSYNC_FAULTS=long CHECKS=0 scripts/test.sh -timeout 90m -run TestFaultSuite -v ./internal/e2e

# Fuzz the member decoder and the tree resolver for FUZZTIME each (default 60s).
fuzz:
	cd internal/justworks && go test -run '^$$' -fuzz '^FuzzDecodeMembers$$' -fuzztime $(or $(FUZZTIME),60s) .
	cd internal/orgtree && go test -run '^$$' -fuzz '^FuzzResolve$$' -fuzztime $(or $(FUZZTIME),60s) .
	cd internal/orgtree && go test -run '^$$' -fuzz '^FuzzResolveStoredTree$$' -fuzztime $(or $(FUZZTIME),60s) .
