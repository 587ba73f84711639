#!/bin/sh
# A CGI/1.1 program (RFC 3875) in POSIX shell: tells what the web server that ran it sent. The
# reference program of the CGI front-end harnesses in test/peers/ (copied into a temp cgi-bin).
#
# Default: a JSON object, the same shape as examples/deploy/php-fpm/echo.php's
#   { "params": { the CGI meta-variables in the environment (GATEWAY_INTERFACE, SERVER_*,
#                 REQUEST_*, SCRIPT_*, PATH_INFO, PATH_TRANSLATED, QUERY_STRING, REMOTE_*,
#                 CONTENT_*, AUTH_TYPE, DOCUMENT_*, HTTPS, REDIRECT_*, HTTP_*) and PATH },
#     "body":   { "length": bytes read from stdin (CONTENT_LENGTH of them), "sha256": hex },
#     "user":   the user the program runs as }
# With a query `stream=N` (1..100, and `delay_ms=M`, default 200): a text/plain body of N lines
# "chunk I", each written on its own, M ms apart. With `status=NNN`: a `Status: NNN Echo` header
# first (how the web server passes a program's status on).

query_value() {
    printf '%s\n' "&$QUERY_STRING&" | sed -n "s/.*&$1=\([0-9][0-9]*\)&.*/\1/p"
}

status=$(query_value status)
[ -n "$status" ] && printf 'Status: %s Echo\r\n' "$status"

count=$(query_value stream)
if [ -n "$count" ]; then
    delay_ms=$(query_value delay_ms)
    delay=$(printf '%d.%03d' $((${delay_ms:-200} / 1000)) $((${delay_ms:-200} % 1000)))
    printf 'Content-Type: text/plain\r\n\r\n'
    i=1
    while [ "$i" -le "$count" ] && [ "$i" -le 100 ]; do
        echo "chunk $i"
        [ "$i" -lt "$count" ] && sleep "$delay"
        i=$((i + 1))
    done
    exit 0
fi

# Exactly CONTENT_LENGTH bytes of stdin (RFC 3875, 4.2): a web server need not send EOF after them.
body=$(mktemp)
trap 'rm -f "$body"' EXIT
head -c "${CONTENT_LENGTH:-0}" > "$body"
length=$(wc -c < "$body")
sha256=$(sha256sum < "$body" | cut -d ' ' -f 1)

# A JSON string: backslash, quote and tab escaped, lines joined with \n.
json_string() {
    printf '%s' "$1" | awk 'BEGIN { ORS = "" } {
        gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); gsub(/\t/, "\\t")
        if (NR > 1) printf "\\n"
        printf "%s", $0
    }'
}

printf 'Content-Type: application/json\r\n\r\n'
printf '{"params":{'
separator=''
for name in $(env | sed -n 's/^\(\(GATEWAY_INTERFACE\|SERVER_[A-Z_]*\|REQUEST_[A-Z_]*\|SCRIPT_[A-Z_]*\|PATH\|PATH_INFO\|PATH_TRANSLATED\|QUERY_STRING\|REMOTE_[A-Z_]*\|CONTENT_[A-Z_]*\|AUTH_TYPE\|DOCUMENT_[A-Z_]*\|HTTPS\|REDIRECT_[A-Z_]*\|HTTP_[A-Z0-9_]*\)\)=.*/\1/p' | sort -u); do
    eval "value=\${$name}"
    printf '%s"%s":"%s"' "$separator" "$name" "$(json_string "$value")"
    separator=','
done
printf '},"body":{"length":%d,"sha256":"%s"},"user":"%s"}\n' "$length" "$sha256" "$(id -un)"
