/**
 * Running a Portico app as a CGI/1.1 program (RFC 3875; spec/servers.md section 16).
 *
 * @module
 */
export { parseEnvironBlock, readProcessVariables } from './environment.js';
export { isContainedPath } from './request.js';
export { CGI_EXIT, type CGIOptions, runCGI } from './run.js';
