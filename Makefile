# Entry points; the work is in scripts/ (see each script's header).
.PHONY: tools test bench perf demo

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
