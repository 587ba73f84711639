# The default WSGI app of test/peers/uwsgi.ts (uWSGI's SCGI socket as a reference SCGI backend):
# tells what an SCGI front end sent. Run it with
#
#   uwsgi --plugin python3 --scgi-socket 127.0.0.1:4000 --wsgi-file echo.py \
#     --processes 1 --master=false --disable-logging
#
# Default: a JSON object, the same shape as examples/deploy/php-fpm/echo.php's
#   { "params": { every SCGI header as the app saw it in the environ (REQUEST_METHOD,
#                 SCRIPT_NAME, PATH_INFO, REQUEST_URI, QUERY_STRING, CONTENT_LENGTH, HTTP_*,
#                 SCGI, ...), values as UTF-8 (undecodable bytes as U+FFFD) },
#     "body":   { "length": bytes read from wsgi.input, "sha256": their hex digest } }
# With a query `stream=N` (1..100, and `delay_ms=M`, default 200): a text/plain body of N lines
# "chunk I", each yielded (and so written to the front end) on its own, M ms apart.
import hashlib
import json
import time
from urllib.parse import parse_qs


def application(environ, start_response):
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if "stream" in query:
        count = max(1, min(100, int(query["stream"][0])))
        delay_ms = max(0, min(5000, int(query.get("delay_ms", ["200"])[0])))
        start_response("200 OK", [("Content-Type", "text/plain")])

        def lines():
            for i in range(1, count + 1):
                yield f"chunk {i}\n".encode()
                if i < count:
                    time.sleep(delay_ms / 1000)

        return lines()

    digest = hashlib.sha256()
    length = 0
    stream = environ["wsgi.input"]
    while True:
        chunk = stream.read(65536)
        if not chunk:
            break
        length += len(chunk)
        digest.update(chunk)

    # WSGI (PEP 3333) gives the header values as latin-1 strings of the bytes the front end sent.
    params = {
        name: value.encode("latin-1").decode("utf-8", "replace")
        for name, value in environ.items()
        if isinstance(value, str) and not name.startswith(("wsgi.", "uwsgi."))
    }
    body = json.dumps(
        {"params": dict(sorted(params.items())), "body": {"length": length, "sha256": digest.hexdigest()}},
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode() + b"\n"
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
