#!/usr/bin/python3
# A CGI/1.1 program (RFC 3875) in Python: tells what the web server that ran it sent. The
# reference program of the CGI front-end harnesses in test/peers/ (copied into a temp cgi-bin).
# Python from /usr/bin (not `env python3`): some front ends give CGI programs a minimal PATH.
#
# Default: a JSON object, the same shape as examples/deploy/php-fpm/echo.php's
#   { "params": { the CGI meta-variables in the environment (GATEWAY_INTERFACE, SERVER_*,
#                 REQUEST_*, SCRIPT_*, PATH_INFO, PATH_TRANSLATED, QUERY_STRING, REMOTE_*,
#                 CONTENT_*, AUTH_TYPE, DOCUMENT_*, HTTPS, REDIRECT_*, HTTP_*) and PATH, values as
#                 UTF-8 (bytes that are not UTF-8 as U+FFFD); not the rest of the environment,
#                 which some servers pass on whole (their own secrets included) },
#     "body":   { "length": bytes read from stdin (CONTENT_LENGTH of them), "sha256": hex },
#     "user":   the user the program runs as }
# With a query `stream=N` (1..100, and `delay_ms=M`, default 200): a text/plain body of N lines
# "chunk I", each flushed on its own, M ms apart.
import hashlib
import json
import os
import pwd
import re
import sys
import time
from urllib.parse import parse_qs

out = sys.stdout.buffer
query = parse_qs(os.environ.get("QUERY_STRING", ""))

if "stream" in query:
    count = max(1, min(100, int(query["stream"][0])))
    delay_ms = max(0, min(5000, int(query.get("delay_ms", ["200"])[0])))
    out.write(b"Content-Type: text/plain\r\n\r\n")
    for i in range(1, count + 1):
        out.write(f"chunk {i}\n".encode())
        out.flush()
        if i < count:
            time.sleep(delay_ms / 1000)
    sys.exit(0)

# Exactly CONTENT_LENGTH bytes of stdin (RFC 3875, 4.2): a web server need not send EOF after them.
remaining = int(os.environ.get("CONTENT_LENGTH") or "0")
digest = hashlib.sha256()
length = 0
while remaining > 0:
    chunk = sys.stdin.buffer.read(min(remaining, 65536))
    if not chunk:
        break
    digest.update(chunk)
    length += len(chunk)
    remaining -= len(chunk)

CGI_NAME = re.compile(
    rb"GATEWAY_INTERFACE|SERVER_[A-Z_]*|REQUEST_[A-Z_]*|SCRIPT_[A-Z_]*|PATH|PATH_INFO|PATH_TRANSLATED"
    rb"|QUERY_STRING|REMOTE_[A-Z_]*|CONTENT_[A-Z_]*|AUTH_TYPE|DOCUMENT_[A-Z_]*|HTTPS|REDIRECT_[A-Z_]*"
    rb"|HTTP_[A-Z0-9_]*"
)
params = {
    name.decode("utf-8", "replace"): value.decode("utf-8", "replace")
    for name, value in sorted(os.environb.items())
    if CGI_NAME.fullmatch(name)
}
body = json.dumps(
    {
        "params": params,
        "body": {"length": length, "sha256": digest.hexdigest()},
        "user": pwd.getpwuid(os.getuid()).pw_name,
    },
    ensure_ascii=False,
    separators=(",", ":"),
).encode()
out.write(b"Content-Type: application/json\r\n\r\n" + body + b"\n")
