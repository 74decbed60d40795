# web-lib.sh - helpers for the tests of 'queuectl web'; source it after lib.sh.
#   start_web ARGS...       start 'web --listen 127.0.0.1:0 ARGS' (the kernel picks a free
#                           port); waits, with a deadline, until it serves /healthz.  Sets
#                           $web_pid and $base (http://127.0.0.1:PORT).  A token for it goes
#                           in $web_token (QUEUECTL_WEB_TOKEN) before the call.
#   api METHOD PATH [BODY] [CURL ARGS...]
#                           one request with curl; the status in $code, the body in $out.
#                           $web_token, when set, is sent as the bearer token.
#   api_error STATUS CODE METHOD PATH [BODY]
#                           the request fails with that status and {"error":{"code":CODE}}
web_token=

start_web() {
	local log="$TMP/web.$$.$RANDOM"
	"$QUEUECTL" web --listen 127.0.0.1:0 "$@" >"$log.out" 2>"$log.err" &
	web_pid=$!
	worker_pids="$worker_pids $web_pid"
	wait_for 20 grep -q '^serving http://' "$log.out"
	base=$(sed -n 's|^serving \(http://[^/]*\)/$|\1|p' "$log.out")
	web_log="$log"
	wait_for 20 web_healthy
}

web_healthy() {
	curl -sf ${web_token:+-H "Authorization: Bearer $web_token"} "$base/healthz" >/dev/null
}

api() {
	local method=$1 path=$2 body=${3-}
	shift 2
	[ $# -gt 0 ] && shift
	local args=(-s -o "$TMP/api.body" -w '%{http_code}' -X "$method")
	[ -n "$web_token" ] && args+=(-H "Authorization: Bearer $web_token")
	[ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
	code=$(curl "${args[@]}" "$@" "$base$path")
	out=$(cat "$TMP/api.body")
	err=
}

api_error() {
	local want=$1 ecode=$2
	shift 2
	api "$@"
	assert_eq "$want" "$code" "status of $1 $2"
	assert_eq "$ecode" "$(jq -r .error.code <<<"$out")" "error code of $1 $2"
	assert_match '.' "$(jq -r .error.message <<<"$out")" "error message of $1 $2"
}
