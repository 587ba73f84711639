#!/usr/bin/env python3
"""The hello response as a plain Python CGI script, for the CGI bench (bench/cgi.js): same status,
body and headers as apps/hello-async.js, written straight to stdout."""

import sys

BODY = b"Hello, world!\n"
sys.stdout.buffer.write(
    b"Content-Type: text/plain; charset=utf-8\r\n"
    + b"Content-Length: %d\r\n\r\n" % len(BODY)
    + BODY
)
