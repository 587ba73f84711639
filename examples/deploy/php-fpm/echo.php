<?php
// The default script of test/peers/php-fpm.ts: tells what a FastCGI front end sent.
//
// Default: a JSON object
//   { "params": { every FastCGI param as PHP saw it in $_SERVER (REQUEST_METHOD, SCRIPT_NAME,
//                 PATH_INFO, REQUEST_URI, QUERY_STRING, CONTENT_LENGTH, HTTP_*, ...) },
//     "body":   { "length": bytes read from php://input, "sha256": their hex digest } }
// With a query `stream=N` (1..100, and `delay_ms=M`, default 200): a text/plain body of N lines
// "chunk I", each flushed to the front end on its own, M ms apart, for checking that a front end
// passes a streamed response on as it comes.

$query = [];
parse_str($_SERVER['QUERY_STRING'] ?? '', $query);

if (isset($query['stream'])) {
    $count = max(1, min(100, (int) $query['stream']));
    $delayMs = max(0, min(5000, (int) ($query['delay_ms'] ?? 200)));
    header('Content-Type: text/plain');
    while (ob_get_level() > 0) {
        ob_end_flush();
    }
    for ($i = 1; $i <= $count; $i++) {
        echo "chunk $i\n";
        flush();
        if ($i < $count) {
            usleep($delayMs * 1000);
        }
    }
    exit;
}

$params = [];
foreach ($_SERVER as $name => $value) {
    // PHP adds PHP_SELF and REQUEST_TIME(_FLOAT) itself; they were not sent.
    if (is_string($value) && $name !== 'PHP_SELF') {
        $params[$name] = $value;
    }
}
ksort($params);

$input = fopen('php://input', 'rb');
$hash = hash_init('sha256');
$length = 0;
while (!feof($input)) {
    $chunk = fread($input, 65536);
    if ($chunk === false || $chunk === '') {
        break;
    }
    $length += strlen($chunk);
    hash_update($hash, $chunk);
}

header('Content-Type: application/json');
echo json_encode(
    ['params' => $params, 'body' => ['length' => $length, 'sha256' => hash_final($hash)]],
    JSON_UNESCAPED_SLASHES | JSON_INVALID_UTF8_SUBSTITUTE,
), "\n";
