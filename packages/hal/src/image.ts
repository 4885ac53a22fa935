/**
 * Evaluating enclave code laid in enclave memory: the loader, boot stub and runtime bundles.
 *
 * The bundles are built as CommonJS-format scripts (scripts/build.mjs: no `import`, no
 * `require`; their exports go to `module.exports`), so the bytes are evaluated as the body of
 * a function: UTF-8 decoded (an invalid sequence refuses, nothing is replaced) and compiled
 * with `new Function`, which works the same in Node and in browsers. Exactly the measured bytes
 * run: only the trailing page padding (zero bytes) is cut off. This replaced a base64 `data:`
 * URL import, which cost ~3x as much at start-up (a 0.5 MB runtime: building and decoding the
 * base64 string, then the module loader).
 */
export function evaluateImage(bytes: Uint8Array): Record<string, unknown> {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  const source = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(0, end));
  const module: { exports: Record<string, unknown> } = { exports: {} };
  const body = new Function('module', 'exports', source) as (m: typeof module, e: Record<string, unknown>) => void;
  body(module, module.exports);
  return module.exports;
}
