#!/usr/bin/env python3
"""The WSGI hello app (the one of apps/hello.py, inlined: a script imports nothing from the bench
dir, so no __pycache__ is written there and every run compiles the same) as a CGI program through
the standard library's wsgiref.handlers.CGIHandler, for the CGI bench (bench/cgi.js): Python's
counterpart of an app run through Portico's runCGI."""

from wsgiref.handlers import CGIHandler

BODY = b"Hello, world!\n"
HEADERS = [
    ("Content-Type", "text/plain; charset=utf-8"),
    ("Content-Length", str(len(BODY))),
]


def application(environ, start_response):
    start_response("200 OK", HEADERS)
    return [BODY]


CGIHandler().run(application)
