#!/bin/sh
# The hello response as a shell CGI script, for the CGI bench (bench/cgi.js): same status, body and
# headers as apps/hello-async.js. printf is a builtin of dash and bash: no process besides the shell.
printf 'Content-Type: text/plain; charset=utf-8\r\nContent-Length: 14\r\n\r\nHello, world!\n'
