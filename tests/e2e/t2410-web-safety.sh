#!/bin/bash
# t2410-web-safety.sh - queuectl web is safe by default: loopback unless a token is given,
# the token on every request (never on the command line), writes from other sites refused,
# --read-only, a Host that names loopback, body size, connection and idle limits.
# Commands: web, enqueue.
. "$TEST_DIR/lib.sh"
. "$TEST_DIR/web-lib.sh"

check_ok q enqueue --id j1 'echo one'
before=$(snapshot)

# --- Refused at start: beyond loopback without a token, a bad token, a bad address.
reject 2 "^queuectl: listening on '0.0.0.0:0', beyond this machine, needs a token: --token-file FILE or QUEUECTL_WEB_TOKEN$" \
	q web --listen 0.0.0.0:0
reject 2 "needs a token" q web --listen '[::]:0'
# No option takes the token itself (--token is read as --token-file, a file name).
# A token given in place of the path is never shown back.
reject 2 "^queuectl: cannot read the file given to --token-file: No such file or directory \(it takes a file's path, never the token itself\)$" \
	q web --token abcdefghijklmnopqrstuvwxyz
case $err in *abcdefghijklmnopqrstuvwxyz*) fail "the token is in the error message" ;; esac
printf '' >"$TMP/empty"
reject 2 "^queuectl: the file given to --token-file is empty$" q web --listen 127.0.0.1:0 --token-file "$TMP/empty"
reject 2 "^queuectl: cannot read the file given to --token-file: No such file" q web --token-file "$TMP/none"
echo short >"$TMP/short"
reject 2 "^queuectl: the token is too short" q web --token-file "$TMP/short"
QUEUECTL_WEB_TOKEN= reject 2 "^queuectl: QUEUECTL_WEB_TOKEN is empty$" q web
reject 2 "^queuectl: invalid --listen 'nowhere'" q web --listen nowhere
reject 2 "^queuectl: invalid --listen 'example.com:80'" q web --listen example.com:80
reject 2 "bad port" q web --listen 127.0.0.1:70000
reject 2 "^queuectl: invalid --max-connections '0': must be between 1 and 10000$" q web --max-connections 0
reject 2 "^queuectl: --timeout must be between 1s and 1h" q web --timeout 0

# --- No token: loopback, and only to a Host that names it (no DNS rebinding).
start_web
api GET /api/v1/status
assert_eq 200 "$code" "loopback without token"
api GET /api/v1/status '' -H 'Host: localhost:5000'
assert_eq 200 "$code" "Host localhost"
api_error 403 forbidden GET /api/v1/status '' -H 'Host: attacker.example:5000'
api_error 403 forbidden GET /healthz '' -H 'Host: 10.1.2.3'

# --- Writes from another site are refused; from the server's own page they pass.
host=${base#http://}
api_error 403 cross_origin POST /api/v1/jobs '{"command":"x"}' -H 'Origin: http://attacker.example'
api_error 403 cross_origin POST /api/v1/jobs/j1/retry '' -H 'Sec-Fetch-Site: cross-site'
api_error 403 cross_origin DELETE /api/v1/jobs/j1 '' -H 'Sec-Fetch-Site: same-site'
api_error 403 cross_origin PUT /api/v1/settings/lease '{"value":1}' -H "Origin: https://$host"
assert_unchanged "$before"
api GET /api/v1/jobs '' -H 'Origin: http://attacker.example'
assert_eq 200 "$code" "a read from another site (it cannot read the answer: no CORS)"
api POST /api/v1/jobs '{"command":"echo same","id":"same"}' -H "Origin: http://$host" -H 'Sec-Fetch-Site: same-origin'
assert_eq 201 "$code" "a write from the server's own page"
api DELETE /api/v1/jobs/same
assert_eq 200 "$code" "a write with neither header (not a browser)"
# The job that came and went stays counted (the metrics' counters only grow): a new digest.
before=$(snapshot)

# --- Bodies over the limit: 413 whether the length is announced or the body is chunked.
head -c $((9 * 1024 * 1024)) /dev/zero | tr '\0' 'a' >"$TMP/big"
api_error 413 too_large POST /api/v1/jobs '' --data-binary @"$TMP/big"
api_error 413 too_large POST /api/v1/jobs '' -H 'Transfer-Encoding: chunked' --data-binary @"$TMP/big"
assert_unchanged "$before"
stop_worker "$web_pid"

# --- A token: required on every request but the dashboard's files, compared exactly.
web_token=0123456789abcdef-secret
export QUEUECTL_WEB_TOKEN=$web_token
start_web
tr -d '\0' </proc/"$web_pid"/cmdline | grep -q secret && fail "the token is on the command line"
api GET /api/v1/status
assert_eq 200 "$code" "with the token"
saved=$web_token
for wrong in '' 0123456789abcdef-secreT 0123456789abcdef-secret2 0123456789abcdef-secre; do
	web_token=$wrong
	api_error 401 unauthorized GET /api/v1/status
	printf '%s' "$out" | grep -q secret && fail "the answer shows the token"
done
web_token=
api_error 401 unauthorized GET /metrics
api_error 401 unauthorized GET /healthz
api_error 401 unauthorized POST /api/v1/jobs '{"command":"x"}' -H "Origin: $base"
api_error 401 unauthorized GET /api/v1/jobs '' -H "Authorization: Basic $(printf 'x:%s' "$saved" | base64)"
web_token=$saved
api POST /api/v1/jobs '{"command":"echo tok","id":"tok"}' -H 'Origin: http://attacker.example'
assert_eq 201 "$code" "the token vouches for a write whatever its origin"
api DELETE /api/v1/jobs/tok
before=$(snapshot)
stop_worker "$web_pid"
unset QUEUECTL_WEB_TOKEN
web_token=

printf '%s\n' "another-token-of-32-characters-x" >"$TMP/token"
chmod 600 "$TMP/token"
web_token=another-token-of-32-characters-x
start_web --token-file "$TMP/token" --read-only
api GET /api/v1/jobs/j1
assert_eq 200 "$code" "token from a file"

# --- Read-only: every write refused, reads served.
api_error 403 read_only POST /api/v1/jobs '{"command":"x"}'
api_error 403 read_only DELETE /api/v1/jobs/j1
api_error 403 read_only POST /api/v1/jobs/retry '{"ids":["j1"]}'
api_error 403 read_only POST /api/v1/purge '{"state":"dead"}'
api_error 403 read_only PUT /api/v1/settings/lease '{"value":1}'
api_error 403 read_only DELETE /api/v1/settings/lease
assert_unchanged "$before"
stop_worker "$web_pid"
web_token=

# --- Connection limit: with two connections held open, a third is turned away; once one
# closes, requests are served again.
start_web --max-connections 2
exec {c1}<>/dev/tcp/127.0.0.1/"${base##*:}"
exec {c2}<>/dev/tcp/127.0.0.1/"${base##*:}"
refused() { ! curl -sf -m 5 "$base/healthz" >/dev/null; }
wait_for 20 refused
exec {c1}>&-
wait_for 20 web_healthy
exec {c2}>&-
stop_worker "$web_pid"

# --- Idle timeout: a client that sends half a request is cut off after --timeout, and
# others are served meanwhile.
start_web --timeout 1s
exec {slow}<>/dev/tcp/127.0.0.1/"${base##*:}"
printf 'GET /api/v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\n' >&"$slow"
api GET /api/v1/status
assert_eq 200 "$code" "served beside a slow client"
timeout 20 cat <&"$slow" >/dev/null
assert_eq 0 "$?" "the slow client's connection was closed (status 124: it was not)"
exec {slow}>&-
stop_worker "$web_pid"
assert_eq 0 "$rc" "exit status"

# --- The library is loaded by 'queuectl web' alone: with a broken libmicrohttpd first on
# the library path, every other command works, and web fails with one line naming it.
mkdir "$TMP/badlib"
soname=$(objdump -p "$(pkg-config --variable=libdir libmicrohttpd)/libmicrohttpd.so" |
	awk '$1 == "SONAME" { print $2 }')
echo 'not a library' >"$TMP/badlib/$soname"
LD_LIBRARY_PATH=$TMP/badlib check_ok q status
LD_LIBRARY_PATH=$TMP/badlib check_fail 1 "cannot load the HTTP server's library: .*$soname" \
	q web --listen 127.0.0.1:0
finish
