<?php
// The hello app for PHP-FPM in the FastCGI bench (bench/fastcgi.js): same status, body and
// content-type as apps/hello-async.js. PHP-FPM sends no content-length; nginx adds chunked framing.
header('Content-Type: text/plain; charset=utf-8');
echo "Hello, world!\n";
