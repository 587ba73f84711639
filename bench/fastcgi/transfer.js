// @ts-check
/**
 * The 100 MiB transfers of the FastCGI bench: one download (`GET /download`) and one upload
 * (`POST /upload`) through nginx with curl, timed by curl itself (`%{time_total}`).
 */
import { execFile, spawnSync } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';

/** Bytes moved by each transfer: 100 MiB. */
export const TRANSFER_BYTES = 100 * 1024 * 1024;

/**
 * The version line of curl, or throws a message saying how to install it.
 * @returns {string}
 */
export function curlVersion() {
  const r = spawnSync('curl', ['--version'], { encoding: 'utf8' });
  if (r.error !== undefined) throw new Error('curl not found on PATH (Debian/Ubuntu: apt-get install curl)');
  return (r.stdout.split('\n', 1)[0] ?? 'curl').split(' ').slice(0, 2).join(' ');
}

/**
 * Writes the upload body: TRANSFER_BYTES bytes of `y`, in 1 MiB writes.
 * @param {string} path
 */
export function writeUploadFile(path) {
  const fd = openSync(path, 'w');
  const mib = Buffer.alloc(1024 * 1024, 0x79);
  for (let i = 0; i < TRANSFER_BYTES / mib.byteLength; i++) writeSync(fd, mib);
  closeSync(fd);
}

/**
 * Runs curl (pinned to `cpu` unless null) and resolves with its stdout.
 * @param {string[]} args
 * @param {number | null} cpu
 * @returns {Promise<string>}
 */
function curl(args, cpu) {
  const [cmd, argv] = cpu === null ? ['curl', args] : ['taskset', ['-c', String(cpu), 'curl', ...args]];
  return new Promise((resolve, reject) => {
    execFile(cmd, argv, { encoding: 'utf8', maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`curl ${args.join(' ')}: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });
}

/**
 * Downloads `GET url/download` to /dev/null; checks status 200 and TRANSFER_BYTES bytes.
 * @param {string} url  nginx's address
 * @param {number | null} cpu
 * @returns {Promise<number>} MiB/s
 */
export async function download(url, cpu) {
  const out = await curl(
    ['-sS', '-o', '/dev/null', '-w', '%{http_code} %{size_download} %{time_total}', `${url}/download`],
    cpu,
  );
  const [status, size, seconds] = out.trim().split(' ').map(Number);
  if (status !== 200 || size !== TRANSFER_BYTES || seconds === undefined) {
    throw new Error(`GET /download: status ${status}, ${size} bytes (expected 200, ${TRANSFER_BYTES})`);
  }
  return TRANSFER_BYTES / (1024 * 1024) / seconds;
}

/**
 * Uploads `file` (TRANSFER_BYTES bytes) as `POST url/upload` with a content-length (`curl -T`, no
 * `Expect: 100-continue` round trip); checks that the app counted every byte.
 * @param {string} url  nginx's address
 * @param {string} file
 * @param {number | null} cpu
 * @returns {Promise<number>} MiB/s
 */
export async function upload(url, file, cpu) {
  const args = [
    '-sS',
    '-X',
    'POST',
    '-T',
    file,
    '-H',
    'Expect:',
    '-H',
    'Content-Type: application/octet-stream',
  ];
  args.push('-w', '\n%{http_code} %{time_total}', `${url}/upload`);
  const out = await curl(args, cpu);
  const lines = out.split('\n').filter((l) => l.trim() !== '');
  const [status, seconds] = (lines.at(-1) ?? '').split(' ').map(Number);
  const counted = Number(lines.at(-2));
  if (status !== 200 || counted !== TRANSFER_BYTES || seconds === undefined) {
    throw new Error(
      `POST /upload: status ${status}, app counted ${lines.at(-2)} bytes (expected 200, ${TRANSFER_BYTES})`,
    );
  }
  return TRANSFER_BYTES / (1024 * 1024) / seconds;
}
