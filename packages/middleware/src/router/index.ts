/**
 * Routing: {@link router} (method + path, params, wildcards, trailing-slash policy, mounts, `urlFor`)
 * over a radix tree of decoded path segments ({@link RouteTree}).
 *
 * @module
 */
export { hosts, requestHost } from './host.js';
export {
  type RouteOptions,
  type RouteParams,
  type Router,
  type RouterOptions,
  type RouteState,
  routeParams,
  router,
} from './router.js';
export { type Leaf, type Match, matchParams, parsePattern, RouteTree, type Segment } from './tree.js';
