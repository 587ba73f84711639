// @ts-check
/**
 * The nginx and PHP-FPM configs of the FastCGI bench (and nginx's of the SCGI bench, bench/scgi.js),
 * written into a temp dir per run.
 *
 * They live here rather than as templates of examples/deploy/{nginx,php-fpm}/ on purpose: the deploy
 * examples are what a user copies (access and error logs on, ordinary timeouts, request buffering
 * and body limits as a public site wants them), while the bench keeps only what is needed to put
 * the backends side by side under load: one nginx worker, no access log, an upstream keepalive pool,
 * no body size limit, request and response streamed instead of spooled to temp files, so the
 * figures show the backend and the protocol, not nginx's disk I/O or logging.
 */

/**
 * The FastCGI params nginx sends: those of Debian's /etc/nginx/fastcgi_params (which the bench
 * does not include, so it works without nginx's config dir), with SCRIPT_NAME/PATH_INFO chosen
 * per backend. PHP-FPM gets SCRIPT_FILENAME (the script to run) and SCRIPT_NAME as the URI; the
 * others are mounted at the root: SCRIPT_NAME empty, PATH_INFO the whole path (CGI/1.1, RFC 3875
 * section 4.1.13).
 *
 * For SCGI (`scgi_param`) the same list, less CONTENT_LENGTH (nginx's scgi module puts it first in
 * the header block by itself, as SCGI requires), plus `SCGI 1`, as Debian's /etc/nginx/scgi_params.
 * @param {string | null} scriptFilename  PHP-FPM's script, or null for an app mounted at /
 * @param {'fastcgi' | 'scgi'} protocol
 */
function cgiParams(scriptFilename, protocol = 'fastcgi') {
  const script =
    scriptFilename === null
      ? ['SCRIPT_NAME ""', 'PATH_INFO $uri']
      : [`SCRIPT_FILENAME ${scriptFilename}`, 'SCRIPT_NAME $uri'];
  return [
    'QUERY_STRING $query_string',
    'REQUEST_METHOD $request_method',
    'CONTENT_TYPE $content_type',
    ...(protocol === 'fastcgi' ? ['CONTENT_LENGTH $content_length'] : ['SCGI 1']),
    ...script,
    'REQUEST_URI $request_uri',
    'DOCUMENT_URI $document_uri',
    'SERVER_PROTOCOL $server_protocol',
    'REQUEST_SCHEME $scheme',
    'GATEWAY_INTERFACE CGI/1.1',
    'SERVER_SOFTWARE nginx/$nginx_version',
    'REMOTE_ADDR $remote_addr',
    'REMOTE_PORT $remote_port',
    'SERVER_ADDR $server_addr',
    'SERVER_PORT $server_port',
    'SERVER_NAME $server_name',
  ]
    .map((p) => `      ${protocol}_param ${p};`)
    .join('\n');
}

/**
 * @typedef {object} NginxUpstream
 * @property {'fastcgi' | 'scgi' | 'http'} protocol  fastcgi_pass, scgi_pass or proxy_pass (HTTP/1.1)
 * @property {number} port  the backend's port on 127.0.0.1
 * @property {boolean} keepConn  keep upstream connections open between requests (`keepalive` pool;
 *   for FastCGI also `fastcgi_keep_conn on`, the FCGI_KEEP_CONN flag). False for SCGI: it has no
 *   keep-alive, the backend closes the connection after each response
 * @property {string | null} phpDir  for PHP-FPM: the directory of hello.php, download.php and
 *   upload.php (one location each); null for an app mounted at /
 */

/**
 * nginx.conf for one backend: 1 worker, `daemon off`, everything under `dir`, listening on
 * 127.0.0.1:`listen`.
 * @param {{ dir: string, listen: number, upstream: NginxUpstream, keepalive: number }} o
 *   `keepalive`: idle upstream connections nginx keeps (the size of its pool; at least the number of
 *   client connections, so a kept connection is never closed for lack of room)
 */
export function nginxConf(o) {
  const u = o.upstream;
  /** @param {string | null} script */
  const pass = (script) =>
    u.protocol === 'http'
      ? `      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_request_buffering off;
      proxy_max_temp_file_size 0;`
      : u.protocol === 'scgi'
        ? `${cgiParams(script, 'scgi')}
      scgi_pass backend;
      scgi_request_buffering off;
      scgi_max_temp_file_size 0;`
        : `${cgiParams(script)}
      fastcgi_pass backend;
      fastcgi_keep_conn ${u.keepConn ? 'on' : 'off'};
      fastcgi_request_buffering off;
      fastcgi_max_temp_file_size 0;`;
  const locations =
    u.phpDir === null
      ? `    location / {
${pass(null)}
    }`
      : [
          ['= /', 'hello.php'],
          ['= /download', 'download.php'],
          ['= /upload', 'upload.php'],
        ]
          .map(
            ([match, file]) => `    location ${match} {
${pass(`${u.phpDir}/${file}`)}
    }`,
          )
          .join('\n');
  return `# nginx in front of one backend for bench/fastcgi.js and bench/scgi.js (see bench/fastcgi/configs.js for why
# these are not the templates of examples/deploy/nginx/).
daemon off;
master_process on;
worker_processes 1;
user root;
pid ${o.dir}/nginx.pid;
error_log ${o.dir}/nginx-error.log warn;
events {
  worker_connections 8192;
}
http {
  access_log off;
  client_body_temp_path ${o.dir}/client_body;
  proxy_temp_path ${o.dir}/proxy;
  fastcgi_temp_path ${o.dir}/fastcgi;
  uwsgi_temp_path ${o.dir}/uwsgi;
  scgi_temp_path ${o.dir}/scgi;
  client_max_body_size 0;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  upstream backend {
    server 127.0.0.1:${u.port};
${u.keepConn ? `    keepalive ${o.keepalive};\n    keepalive_requests 100000000;\n    keepalive_timeout 300s;\n` : ''}  }
  server {
    listen 127.0.0.1:${o.listen};
    server_name localhost;
${locations}
  }
}
`;
}

/**
 * php-fpm.conf: one pool, `pm = static` with one child, no access log, listening on
 * 127.0.0.1:`port`. Body limits are lifted for the 100 MiB upload (`post_max_size = 0`), and
 * `enable_post_data_reading = Off` lets upload.php stream php://input instead of PHP buffering it.
 * opcache is on as in Debian's php.ini for FPM (a production PHP site runs with it).
 * @param {{ dir: string, port: number }} o
 */
export function phpFpmConf(o) {
  return `; PHP-FPM for bench/fastcgi.js (see bench/fastcgi/configs.js for why this is not the template
; of examples/deploy/php-fpm/).
[global]
pid = ${o.dir}/php-fpm.pid
error_log = ${o.dir}/php-fpm-error.log
log_level = warning
daemonize = no

[bench]
user = root
group = root
listen = 127.0.0.1:${o.port}
listen.backlog = 4096
pm = static
pm.max_children = 1
pm.max_requests = 0
catch_workers_output = no
php_admin_value[post_max_size] = 0
php_admin_value[upload_max_filesize] = 0
php_admin_flag[enable_post_data_reading] = off
php_admin_value[output_buffering] = 0
php_admin_value[max_execution_time] = 0
php_admin_flag[opcache.enable] = on
`;
}
