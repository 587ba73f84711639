<?php
// GET /download in the FastCGI bench: 100 MiB of 'x' in 64 KiB writes, as apps/transfer-async.js.
header('Content-Type: application/octet-stream');
header('Content-Length: ' . (100 * 1024 * 1024));
$chunk = str_repeat('x', 64 * 1024);
for ($i = 0; $i < 1600; $i++) {
    echo $chunk;
}
