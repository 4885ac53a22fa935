// File names and paths are bytes on Linux (any byte but NUL and '/'), and the kernel keeps
// them as JS strings. A plain TextDecoder turned each invalid UTF-8 byte into U+FFFD, so a
// name such as "a\xf8\x88b" came back from getdents as "a\xef\xbf\xbd\xef\xbf\xbdb" (busybox
// testsuite: ls unicode test). These two functions are lossless both ways: valid UTF-8 is
// decoded as usual (names stay readable and equal to what the host and image use), and each
// byte of an invalid sequence becomes the lone surrogate U+DC00+byte (Python's
// "surrogateescape"), turned back into that byte on the way out.

const strictDecoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** Bytes (without the NUL) -> the kernel's string for them. */
export function nameFromBytes(b: Uint8Array): string {
  try { return strictDecoder.decode(b); } catch { /* some byte is not valid UTF-8: below */ }
  let s = '';
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) { s += String.fromCharCode(c); i++; continue; }
    const len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (len && i + len <= b.length) {
      try {
        // fatal: overlong forms, surrogates and code points past U+10FFFF throw.
        s += strictDecoder.decode(b.subarray(i, i + len));
        i += len;
        continue;
      } catch { /* not a valid sequence: escape its first byte */ }
    }
    s += String.fromCharCode(0xdc00 + c);
    i++;
  }
  return s;
}

/** The kernel's string for a name -> its bytes (inverse of nameFromBytes). */
export function nameToBytes(s: string): Uint8Array {
  if (!/[\ud800-\udfff]/.test(s)) return encoder.encode(s);
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // (a pair's low half never gets here: the pair is consumed whole below)
    if (c >= 0xdc80 && c <= 0xdcff) { out.push(c - 0xdc00); continue; }
    if (isHigh(c) && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff) {
      for (const x of encoder.encode(s.slice(i, i + 2))) out.push(x);
      i++;
      continue;
    }
    for (const x of encoder.encode(s[i]!)) out.push(x);
  }
  return Uint8Array.from(out);
}

function isHigh(c: number): boolean { return c >= 0xd800 && c <= 0xdbff; }

/** The length in bytes of a name (NAME_MAX and PATH_MAX checks). */
export function nameByteLength(s: string): number { return nameToBytes(s).length; }

/**
 * `path` made absolute from the directory `base` and normalised lexically ('.', '..' and
 * repeated '/' resolved on the string, symlinks not followed): the form in which a path is
 * published to, or asked of, another enclave of an SGX family.
 */
export function lexicalAbsolute(base: string, path: string): string {
  const out: string[] = [];
  for (const c of `${path.startsWith('/') ? '' : base}/${path}`.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') out.pop();
    else out.push(c);
  }
  return `/${out.join('/')}`;
}
