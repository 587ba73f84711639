"""The hello app for uWSGI in the FastCGI bench (bench/fastcgi.js), as WSGI: same status, body and
headers as apps/hello-async.js."""

BODY = b"Hello, world!\n"
HEADERS = [
    ("Content-Type", "text/plain; charset=utf-8"),
    ("Content-Length", str(len(BODY))),
]


def application(environ, start_response):
    start_response("200 OK", HEADERS)
    return [BODY]
