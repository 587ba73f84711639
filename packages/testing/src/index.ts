/**
 * `@portico/testing`: an in-process test client for Portico apps of either interface (the
 * Starlette `TestClient`, Plack::Test and light-my-request analogue). It builds each scope exactly
 * as a server on the wire would, runs the app under the validator by default, reads responses whole
 * or chunk by chunk, simulates a client that disconnects, runs the lifespan around a session, and
 * speaks websocket.
 *
 * @packageDocumentation
 */

export type { RequestBody } from './body.js';
export { createClient, TestClient, type WithClientOptions, withClient } from './client.js';
export type { HeadersInit } from './headers.js';
export type { ClientOptions } from './options.js';
export { ResponseHead, TestResponse } from './response.js';
export type { RequestInit, WebSocketInit } from './scope.js';
export { StreamingResponse } from './streaming.js';
export type { QueryInit, QueryValue } from './target.js';
export { type CloseInfo, TestWebSocket } from './websocket.js';
