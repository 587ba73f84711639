/**
 * Loading TypeScript app modules without a build step, through tsx (https://tsx.is). tsx is
 * registered only for a module that needs it, so serving a `.js` module never pays its start-up cost.
 *
 * @module
 */

/** Module extensions that need the TypeScript loader. */
const TYPESCRIPT = /\.(?:ts|mts|cts|tsx)$/i;

/**
 * Whether the module part of `<module>[:<export>]` is a TypeScript file (`.ts`, `.mts`, `.cts`,
 * `.tsx`). The export name is what follows the last `:` when it contains no path separator.
 */
export function needsTypeScriptLoader(target: string): boolean {
  return TYPESCRIPT.test(modulePart(target));
}

/** The module part of `<module>[:<export>]`. */
export function modulePart(target: string): string {
  const colon = target.lastIndexOf(':');
  if (colon <= 1) return target; // no export, or a Windows drive letter (`C:\app.ts`)
  const name = target.slice(colon + 1);
  return name.includes('/') || name.includes('\\') ? target : target.slice(0, colon);
}

let registered: Promise<void> | undefined;

/**
 * Registers tsx for the rest of the process: its ESM loader hooks (`register()` from `tsx/esm/api`,
 * on Node's `module.register`) for modules Node loads as ES modules, and its CommonJS hooks
 * (`register()` from `tsx/cjs/api`) for those it loads as CommonJS: `.cts` files, and `.ts`/`.tsx`
 * files in a package without `"type": "module"`. Idempotent.
 */
export function registerTypeScriptLoader(): Promise<void> {
  registered ??= Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')]).then(([esm, cjs]) => {
    esm.register();
    cjs.register();
  });
  return registered;
}
