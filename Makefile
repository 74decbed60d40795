# A thin wrapper over Meson for the commands a newcomer types.
#   make            build (installs missing Debian packages first)
#   make demo       build, then run a short demo on a throwaway queue
#   make test       the whole test suite: unit tests and end-to-end tests, on SQLite and on
#                   a throwaway PostgreSQL server
#   make test-asan  the suite under AddressSanitizer and UndefinedBehaviorSanitizer, less the
#                   minutes-long load tests (chaos, contention) and the end-to-end tests on
#                   PostgreSQL (its store contract tests run), which 'make test' runs
#   make test-valgrind  the unit tests under valgrind: no leaks, no errors
#   make fuzz       libFuzzer harnesses, each run FUZZ_SECONDS (20) s
#   make bench      benchmarks against C references and peers, into bench/RESULTS.md (< 30 min)
#   make bench-quick  the same with small counts, into bench/RESULTS-quick.md (< 3 min)
#   make install    install queuectl, its man page, its systemd user unit and (once the binary
#                   prints them) its shell completions under PREFIX (/usr/local), into DESTDIR

BUILD ?= build
ASAN_BUILD ?= build-asan
PREFIX ?= /usr/local
MESON_TEST = meson test -C $(1) --print-errorlogs --num-processes 2

.PHONY: all deps test-deps demo test test-asan test-valgrind fuzz bench bench-quick install clean

all: deps
	@test -f $(BUILD)/build.ninja || meson setup $(BUILD) --prefix=$(PREFIX)
	ninja -C $(BUILD)

deps:
	@scripts/deps.sh build

test-deps:
	@scripts/deps.sh test

demo: all
	@scripts/demo.sh $(BUILD)/queuectl

# 'make' configures without the test packages, leaving the unit tests out when cmocka is
# missing: run-tests.sh configures the build directory again when it lacks a test the source
# tree has, and counts a test still missing as failed.
test: test-deps all
	@scripts/run-tests.sh $(BUILD)

test-asan: test-deps
	@test -f $(ASAN_BUILD)/build.ninja || \
		meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false
	ninja -C $(ASAN_BUILD)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		scripts/run-tests.sh $(ASAN_BUILD) --no-suite stress --no-suite pg-e2e

# valgrind runs a program 20 to 50 times slower: the unit tests get ten times meson's 30 s.
test-valgrind: test-deps all
	@scripts/run-tests.sh $(BUILD) --suite unit --timeout-multiplier 10 \
		--wrapper 'valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=all --show-leak-kinds=all --suppressions=$(CURDIR)/tests/valgrind.supp'

FUZZ_SECONDS ?= 20

fuzz:
	@scripts/deps.sh fuzz
	@fuzz/run.sh $(FUZZ_SECONDS)

# Not part of 'test': minutes long, and their figures are measurements, not pass or fail.
# bench/run.sh installs its peers (task-spooler, nq) with apt-get when they are missing.
bench: all
	@bench/run.sh --queuectl $(BUILD)/queuectl

bench-quick: all
	@bench/run.sh --quick --queuectl $(BUILD)/queuectl

# The prefix is fixed when the build directory is configured (the unit file names the binary
# under it), so a different PREFIX configures it again.  meson would take a relative DESTDIR
# as relative to the build directory, not to where make was run.
install: all
	@grep -qF '"name": "prefix", "value": "$(PREFIX)"' $(BUILD)/meson-info/intro-buildoptions.json || \
		meson configure $(BUILD) -Dprefix=$(PREFIX)
	meson install -C $(BUILD) $(if $(DESTDIR),--destdir $(abspath $(DESTDIR)))

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
