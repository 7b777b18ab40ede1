#!/usr/bin/env bash
# curl against a running relay: bash Tests/EndToEnd/curl_checks.sh http://127.0.0.1:PORT
# (test_http_server.py::test_curl_checks starts a relay and runs this.) Exits non-zero on the
# first failed check, naming it.
set -euo pipefail

BASE="${1:?usage: curl_checks.sh BASE_URL (e.g. http://127.0.0.1:8080)}"
case "$BASE" in
  http://127.0.0.1:*) ;;
  *) echo "curl_checks.sh: only http://127.0.0.1:PORT is allowed, got $BASE" >&2; exit 2 ;;
esac

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
CURL=(curl -sS --noproxy '*' --max-time 10)
PASSED=0

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }

# Status code of a saved `curl -i`/`-I` dump (the last status line, in case of 1xx).
status_of() { grep -a -E '^HTTP/[0-9.]+ [0-9]{3}' "$1" | tail -n 1 | awk '{print $2}'; }
# A header's value (first match, case-insensitive, CR stripped).
header_of() { grep -a -i -m 1 "^$2:" "$1" | cut -d: -f2- | sed -e 's/^ *//' -e 's/\r$//' || true; }
# The body of a `curl -i` dump: everything after the first empty line.
body_of() { awk 'found { print } /^\r?$/ && !found { found = 1 }' "$1"; }

# --- curl -sS -i /healthz ----------------------------------------------------------------------
"${CURL[@]}" -i "$BASE/healthz" > "$WORK/health.txt"
[ "$(status_of "$WORK/health.txt")" = 200 ] || fail "GET /healthz status: $(head -n 1 "$WORK/health.txt")"
header_of "$WORK/health.txt" Content-Type | grep -q '^application/json' \
  || fail "GET /healthz Content-Type: $(header_of "$WORK/health.txt" Content-Type)"
body_of "$WORK/health.txt" > "$WORK/health.json"
python3 - "$WORK/health.json" <<'EOF' || fail "GET /healthz body: $(cat "$WORK/health.json")"
import json, sys
body = json.load(open(sys.argv[1]))
assert body["status"] == "ok", body
assert body["auth"] == "off", body
assert isinstance(body["upstream"], str) and body["upstream"], body
assert isinstance(body["version"], str) and body["version"], body
EOF
ok "curl -i /healthz: 200 application/json {status: ok, auth: off, upstream, version}"

# --- curl --http1.0 ---------------------------------------------------------------------------
"${CURL[@]}" --http1.0 -i "$BASE/healthz" > "$WORK/http10.txt"
[ "$(status_of "$WORK/http10.txt")" = 200 ] || fail "HTTP/1.0 /healthz status: $(head -n 1 "$WORK/http10.txt")"
header_of "$WORK/http10.txt" Connection | grep -qi '^close$' \
  || fail "HTTP/1.0 response without 'Connection: close': $(header_of "$WORK/http10.txt" Connection)"
[ -z "$(header_of "$WORK/http10.txt" Transfer-Encoding)" ] || fail "HTTP/1.0 response is chunked"
body_of "$WORK/http10.txt" | grep -q '"status"' || fail "HTTP/1.0 /healthz has no JSON body"
ok "curl --http1.0: 200 with Connection: close"

# --- curl -I (HEAD) -----------------------------------------------------------------------------
"${CURL[@]}" -I "$BASE/healthz" > "$WORK/head.txt"
[ "$(status_of "$WORK/head.txt")" = 200 ] || fail "HEAD /healthz status: $(head -n 1 "$WORK/head.txt")"
header_of "$WORK/head.txt" Content-Type | grep -q '^application/json' || fail "HEAD /healthz Content-Type"
[ -z "$(body_of "$WORK/head.txt")" ] || fail "HEAD /healthz has a body"
"${CURL[@]}" -I "$BASE/" > "$WORK/head-index.txt"
[ "$(status_of "$WORK/head-index.txt")" = 200 ] || fail "HEAD / status"
header_of "$WORK/head-index.txt" Content-Type | grep -q '^text/html' || fail "HEAD / Content-Type"
[ -n "$(header_of "$WORK/head-index.txt" ETag)" ] || fail "HEAD / without ETag"
[ -n "$(header_of "$WORK/head-index.txt" Last-Modified)" ] || fail "HEAD / without Last-Modified"
ok "curl -I: /healthz and / answer headers only"

# --- the demo page and conditional GET ----------------------------------------------------------
"${CURL[@]}" -o "$WORK/index.html" -D "$WORK/index.h" "$BASE/"
[ "$(status_of "$WORK/index.h")" = 200 ] || fail "GET / status"
cmp -s "$WORK/index.html" Public/index.html || fail "GET / differs from Public/index.html"
ETAG="$(header_of "$WORK/index.h" ETag)"
code="$("${CURL[@]}" -o "$WORK/304.body" -w '%{http_code}' -H "If-None-Match: $ETAG" "$BASE/")"
[ "$code" = 304 ] || fail "If-None-Match: expected 304, got $code"
[ ! -s "$WORK/304.body" ] || fail "304 with a body"
ok "curl GET / = Public/index.html; If-None-Match → 304"

# --- errors -------------------------------------------------------------------------------------
code="$("${CURL[@]}" -o "$WORK/404.json" -w '%{http_code} %{content_type}' "$BASE/definitely/not/here")"
[ "${code%% *}" = 404 ] || fail "unknown path: expected 404, got $code"
case "${code#* }" in application/json*) ;; *) fail "404 Content-Type: ${code#* }" ;; esac
python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["error"]; assert e["code"]=="not_found" and e["type"] and e["message"], e' \
  "$WORK/404.json" || fail "404 body: $(cat "$WORK/404.json")"
"${CURL[@]}" -i -X POST --data '{}' -H 'Content-Type: application/json' "$BASE/healthz" > "$WORK/405.txt"
[ "$(status_of "$WORK/405.txt")" = 405 ] || fail "POST /healthz: $(head -n 1 "$WORK/405.txt")"
[ "$(header_of "$WORK/405.txt" Allow)" = "GET, HEAD" ] || fail "405 Allow: '$(header_of "$WORK/405.txt" Allow)'"
ok "curl: 404 JSON, 405 with Allow: GET, HEAD"

# --- path traversal and dotfiles (--path-as-is keeps the dot segments) --------------------------
for target in '/../Package.swift' '/%2e%2e/Package.swift' '/%2E%2E/Package.swift' '/..%2fPackage.swift' \
              '/.gitignore' '/%2egitignore' '/./.gitignore' '/Public/../../Package.swift'; do
  code="$("${CURL[@]}" --path-as-is -o "$WORK/trav.body" -w '%{http_code}' "$BASE$target")"
  [ "$code" = 404 ] || fail "$target: expected 404, got $code"
  if grep -a -q -e 'PackageDescription' -e 'swift-tools-version' -e '\.build' "$WORK/trav.body"; then
    fail "$target: response body contains file contents"
  fi
  python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["error"]; assert e["code"]=="not_found", e' \
    "$WORK/trav.body" || fail "$target: 404 body is not the JSON error: $(head -c 300 "$WORK/trav.body")"
done
ok "curl --path-as-is: traversal and dotfiles → 404, no file contents"

# --- keep-alive: curl reuses one connection for two URLs ----------------------------------------
"${CURL[@]}" -v -o /dev/null -o /dev/null "$BASE/healthz" "$BASE/" 2> "$WORK/reuse.log"
grep -q -i 're-\?us' "$WORK/reuse.log" || fail "curl did not reuse the connection: $(grep -i -e connect -e '^<' "$WORK/reuse.log" | head -n 20)"
ok "curl keeps the connection alive across two requests"

echo "curl_checks: $PASSED checks passed"
