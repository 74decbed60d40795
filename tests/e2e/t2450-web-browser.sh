#!/bin/bash
# t2450-web-browser.sh - the dashboard in a real headless Chromium (Debian's chromium) driven
# by playwright-core (npm, pinned in tests/browser/package-lock.json): the scenario is
# tests/browser/dashboard.test.mjs.  scripts/deps.sh test installs both; without them this
# test fails rather than pass unrun.
# Commands: web, enqueue, worker start, info.
. "$TEST_DIR/lib.sh"

browser=$TEST_DIR/../browser
command -v node >/dev/null || fail "node is missing: run scripts/deps.sh test"
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || fail "chromium is missing: run scripts/deps.sh test"
[ -d "$browser/node_modules/playwright-core" ] ||
	fail "playwright-core is missing: run scripts/deps.sh test (npm ci in tests/browser)"
SCREENSHOTS=${SCREENSHOTS:-$TMP/screenshots} node "$browser/dashboard.test.mjs" >"$TMP/browser.out" 2>&1
status=$?
cat "$TMP/browser.out"
[ "$status" -eq 0 ] || fail "the browser test failed"
checks=$((checks + $(sed -n 's/^ok: \([0-9]*\) checks$/\1/p' "$TMP/browser.out")))
finish
