// @ts-check
/**
 * Apache httpd 2.4 (Debian's apache2, mpm_event) running CGI programs with mod_cgid, for the CGI
 * bench (bench/cgi.js): started in the foreground on a free loopback port, its config, pid file,
 * mutexes, cgid socket and error log in a temp dir.
 *
 * mod_cgid, not mod_cgi: with a threaded MPM (event) Debian's apache2 loads mod_cgid, where a
 * separate daemon process forks the CGI programs (forking from a threaded child is unsafe), so that
 * is what a CGI program meets under Debian's Apache.
 *
 * Apache will not serve as root: its children, and so the CGI programs, run as www-data. The temp
 * dir is made world-readable, and the programs (bench/apps/, node) must be readable and executable
 * by www-data.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { freePort, startDaemon, tempDir, waitForPort } from '../fastcgi/process.js';
import { SYSTEM_PATH } from './programs.js';

/** Where Debian keeps Apache's loadable modules. */
const MODULES_DIR = '/usr/lib/apache2/modules';

/**
 * @typedef {object} RunningApache
 * @property {string} url  `http://127.0.0.1:PORT`
 * @property {string} dir  its temp dir (world-readable): a place for wrapper scripts
 * @property {() => string} errorLog  the error log so far (CGI programs' stderr lands there)
 * @property {() => Promise<void>} stop  stops Apache and removes the temp dir
 */

/**
 * httpd.conf: one child process with 16 threads, keep-alive without a request limit, no access
 * log, and one `ScriptAlias` per CGI program.
 * @param {{ dir: string, port: number, scripts: Map<string, string> }} o  `scripts`: URL path to
 *   the program's file
 */
export function apacheConf(o) {
  const dirs = new Set([...o.scripts.values()].map((file) => file.slice(0, file.lastIndexOf('/'))));
  return `# Apache for bench/cgi.js: mod_cgid runs the CGI programs.
ServerRoot "${o.dir}"
ServerName 127.0.0.1
Listen 127.0.0.1:${o.port}
PidFile "${o.dir}/httpd.pid"
Mutex file:${o.dir} default
DefaultRuntimeDir "${o.dir}"
DocumentRoot "${o.dir}"

LoadModule mpm_event_module "${MODULES_DIR}/mod_mpm_event.so"
LoadModule authz_core_module "${MODULES_DIR}/mod_authz_core.so"
LoadModule alias_module "${MODULES_DIR}/mod_alias.so"
LoadModule env_module "${MODULES_DIR}/mod_env.so"
LoadModule cgid_module "${MODULES_DIR}/mod_cgid.so"

User www-data
Group www-data

StartServers 1
ServerLimit 1
ThreadLimit 16
ThreadsPerChild 16
MaxRequestWorkers 16
MinSpareThreads 1
MaxSpareThreads 32
Timeout 30
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 30

# The socket the Apache children hand requests to the cgid daemon on.
ScriptSock "${o.dir}/cgid.sock"

ErrorLog "${o.dir}/error.log"
LogLevel warn

# As the other benches run Node: production mode.
SetEnv NODE_ENV production

${[...o.scripts].map(([path, file]) => `ScriptAlias "${path}" "${file}"`).join('\n')}
${[...dirs]
  .map(
    (d) => `<Directory "${d}">
    Require all granted
</Directory>`,
  )
  .join('\n')}
`;
}

/**
 * Starts Apache with mod_cgid, the programs of `scripts` mounted at their URL paths, pinned to
 * `cpu` unless null (the CGI programs it forks inherit the pinning). `prepare` is called with the
 * temp dir before Apache starts (to write wrapper scripts into it) and returns the scripts.
 * @param {{ cpu: number | null, prepare: (dir: string) => Map<string, string> }} o
 * @returns {Promise<RunningApache>}
 * @throws Error with Apache's output when it exits or does not listen within 10 s
 */
export async function startApache(o) {
  const temp = tempDir('apache-cgi');
  const errorLog = () => {
    const file = `${temp.dir}/error.log`;
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  };
  try {
    const scripts = o.prepare(temp.dir);
    const port = await freePort();
    const conf = `${temp.dir}/httpd.conf`;
    writeFileSync(conf, apacheConf({ dir: temp.dir, port, scripts }), { mode: 0o644 });
    // Apache hands its own PATH to the CGI programs: the system's, not the invoking shell's.
    const env = { PATH: SYSTEM_PATH, LANG: 'C' };
    const daemon = startDaemon('apache2', ['-DFOREGROUND', '-f', conf], { cpu: o.cpu, env });
    try {
      await waitForPort(port, daemon, 'apache2');
    } catch (err) {
      await daemon.stop();
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n${errorLog()}`);
    }
    return {
      url: `http://127.0.0.1:${port}`,
      dir: temp.dir,
      errorLog,
      async stop() {
        await daemon.stop();
        temp.remove();
      },
    };
  } catch (err) {
    temp.remove();
    throw err;
  }
}
