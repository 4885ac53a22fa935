// A minimal WebAssembly binary emitter for the JIT (WebAssembly Core Specification 2.0,
// 5.x binary format), in the style of muldiv-wasm.ts: bytes pushed into a number array.

export const I32 = 0x7f, I64 = 0x7e, F64 = 0x7c, VOID = 0x40;

export const enum W {
  UNREACHABLE = 0x00, BLOCK = 0x02, LOOP = 0x03, IF = 0x04, ELSE = 0x05, END = 0x0b,
  BR = 0x0c, BR_IF = 0x0d, BR_TABLE = 0x0e, RETURN = 0x0f, CALL = 0x10, DROP = 0x1a, SELECT = 0x1b,
  LOCAL_GET = 0x20, LOCAL_SET = 0x21, LOCAL_TEE = 0x22,
  I32_LOAD = 0x28, I64_LOAD = 0x29,
  I64_LOAD8_S = 0x30, I64_LOAD8_U = 0x31, I64_LOAD16_S = 0x32, I64_LOAD16_U = 0x33,
  I64_LOAD32_S = 0x34, I64_LOAD32_U = 0x35,
  I32_STORE = 0x36, I64_STORE = 0x37, I64_STORE8 = 0x3c, I64_STORE16 = 0x3d, I64_STORE32 = 0x3e,
  I32_CONST = 0x41, I64_CONST = 0x42,
  I32_EQZ = 0x45, I32_EQ = 0x46, I32_NE = 0x47, I32_LT_S = 0x48, I32_LT_U = 0x49, I32_GT_U = 0x4b,
  I64_EQZ = 0x50, I64_EQ = 0x51, I64_NE = 0x52, I64_LT_S = 0x53, I64_LT_U = 0x54,
  I64_GE_S = 0x59, I64_GE_U = 0x5a,
  I32_ADD = 0x6a, I32_SUB = 0x6b, I32_MUL = 0x6c, I32_DIV_S = 0x6d, I32_DIV_U = 0x6e,
  I32_REM_S = 0x6f, I32_REM_U = 0x70, I32_AND = 0x71, I32_OR = 0x72, I32_XOR = 0x73,
  I32_SHL = 0x74, I32_SHR_S = 0x75, I32_SHR_U = 0x76,
  I64_ADD = 0x7c, I64_SUB = 0x7d, I64_MUL = 0x7e, I64_DIV_S = 0x7f, I64_DIV_U = 0x80,
  I64_REM_S = 0x81, I64_REM_U = 0x82, I64_AND = 0x83, I64_OR = 0x84, I64_XOR = 0x85,
  I64_SHL = 0x86, I64_SHR_S = 0x87, I64_SHR_U = 0x88,
  I32_WRAP_I64 = 0xa7, I64_EXTEND_I32_S = 0xac, I64_EXTEND_I32_U = 0xad,
  F64_LOAD = 0x2b, F64_STORE = 0x39, F64_CONST = 0x44,
  F64_EQ = 0x61, F64_NE = 0x62, F64_LT = 0x63, F64_GT = 0x64, F64_LE = 0x65, F64_GE = 0x66,
  F64_ABS = 0x99, F64_SQRT = 0x9f, F64_ADD = 0xa0, F64_SUB = 0xa1, F64_MUL = 0xa2, F64_DIV = 0xa3,
  F64_CONVERT_I32_S = 0xb7, F64_CONVERT_I32_U = 0xb8, F64_CONVERT_I64_S = 0xb9, F64_CONVERT_I64_U = 0xba,
}

/** A growable byte buffer (the emitter writes straight into it). */
export class Buf {
  a = new Uint8Array(4096);
  n = 0;
  push(v: number): void {
    if (this.n === this.a.length) this.grow(1);
    this.a[this.n++] = v;
  }
  push2(v: number, w: number): void {
    if (this.n + 2 > this.a.length) this.grow(2);
    this.a[this.n++] = v;
    this.a[this.n++] = w;
  }
  bytes(arr: ArrayLike<number>): void {
    if (this.n + arr.length > this.a.length) this.grow(arr.length);
    for (let i = 0; i < arr.length; i++) this.a[this.n++] = arr[i];
  }
  append(b: Buf): void {
    if (this.n + b.n > this.a.length) this.grow(b.n);
    this.a.set(b.a.subarray(0, b.n), this.n);
    this.n += b.n;
  }
  private grow(k: number): void {
    let len = this.a.length * 2;
    while (len < this.n + k) len *= 2;
    const na = new Uint8Array(len);
    na.set(this.a.subarray(0, this.n));
    this.a = na;
  }
}

export function uleb(out: Buf, n: number): void {
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
}

/** Signed LEB128 of an integer-valued JS number (exact for |n| <= 2^53). */
export function sleb(out: Buf, n: number): void {
  if (n === (n | 0)) {
    // fast path for int32 values
    for (;;) {
      const b = n & 0x7f;
      n >>= 7;
      if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) { out.push(b); return; }
      out.push(b | 0x80);
    }
  }
  for (;;) {
    const b = n & 0x7f;
    n = Math.floor(n / 128);
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

/** i64.const of the 64-bit value (hi:lo) given as int32 halves. */
export function i64ConstParts(out: Buf, lo: number, hi: number): void {
  out.push(W.I64_CONST);
  let l = lo >>> 0, h = hi | 0;
  for (;;) {
    const b = l & 0x7f;
    l = ((l >>> 7) | ((h & 0x7f) << 25)) >>> 0;
    h = h >> 7;
    const done = (h === 0 && l === 0 && (b & 0x40) === 0) || (h === -1 && l === 0xffffffff && (b & 0x40) !== 0);
    if (done) { out.push(b); return; }
    out.push(b | 0x80);
  }
}

export function str(out: Buf, s: string): void {
  uleb(out, s.length);
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i));
}

export function section(out: Buf, id: number, body: Buf): void {
  out.push(id);
  uleb(out, body.n);
  out.append(body);
}
