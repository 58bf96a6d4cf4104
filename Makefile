# Entry points; the work is in scripts/ (see each script's header).
.PHONY: tools test bench demo

tools:
	scripts/tools.sh

# make test ARGS='-run TestApply ./internal/store'
test:
	scripts/test.sh $(ARGS)

bench:
	scripts/test.sh --bench $(ARGS)

demo:
	scripts/demo.sh
