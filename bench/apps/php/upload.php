<?php
// POST /upload in the FastCGI bench: reads the request body in 64 KiB pieces and answers its length
// in bytes, as apps/transfer-async.js. The pool sets enable_post_data_reading = Off, so PHP does not
// buffer the body before the script runs.
$in = fopen('php://input', 'rb');
$total = 0;
while (!feof($in)) {
    $total += strlen(fread($in, 64 * 1024));
}
header('Content-Type: text/plain; charset=utf-8');
echo $total, "\n";
