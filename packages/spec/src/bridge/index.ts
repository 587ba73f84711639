/**
 * The bridges between the interfaces: a sync app under the async interface (`syncToAsync`), an
 * async app where a sync app is expected (`asyncToSync`), and the environ <-> scope mappings they
 * use (`environFromScope`, `scopeFromEnviron`), with the streams they hand to sync apps.
 *
 * @module
 */
export {
  type AsyncToSyncApp,
  type AsyncToSyncOptions,
  type AsyncToSyncTarget,
  asyncToSync,
} from './async-to-sync.js';
export { type EnvironOptions, environFromScope, environKey } from './environ.js';
export { stderrErrorStream } from './errors-stream.js';
export { FileInput } from './file-input.js';
export { DEFAULT_BLOCK_SIZE, FileWrapperBody, fileWrapper } from './file-wrapper.js';
export { BaseInput, MemoryInput } from './input.js';
export {
  encodePath,
  type ScopeFromEnvironOptions,
  scopeFromEnviron,
  scopeFromVariableList,
} from './scope-from-environ.js';
export { DEFAULT_SPOOL_THRESHOLD, type SyncToAsyncOptions, syncToAsync } from './sync-to-async.js';
