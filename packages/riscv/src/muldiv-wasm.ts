// The RV64M multiply/divide instructions (RISC-V Unprivileged ISA, ch. 13 "M" Standard
// Extension): MUL, MULH, MULHSU, MULHU, DIV, DIVU, REM, REMU and the W forms, with the
// spec's results for division by zero (quotient all ones, remainder = dividend) and
// signed overflow (quotient = dividend, remainder 0) instead of traps.
//
// JS has no 64-bit integers short of BigInt (30-50x slower), so these run in a tiny
// WebAssembly module assembled here byte by byte. It imports the hart's memory and
// operates on the registers in place: each helper takes byte offsets (rd, rs1, rs2)
// of i64 slots in that memory. Wasm has no 128-bit multiply, so MULH* are built from
// four 32x32 partial products; Wasm traps on /0 and INT_MIN/-1, so those are guarded.

export interface MulDiv {
  mul(rd: number, a: number, b: number): void;
  mulh(rd: number, a: number, b: number): void;
  mulhsu(rd: number, a: number, b: number): void;
  mulhu(rd: number, a: number, b: number): void;
  div(rd: number, a: number, b: number): void;
  divu(rd: number, a: number, b: number): void;
  rem(rd: number, a: number, b: number): void;
  remu(rd: number, a: number, b: number): void;
  mulw(rd: number, a: number, b: number): void;
  divw(rd: number, a: number, b: number): void;
  divuw(rd: number, a: number, b: number): void;
  remw(rd: number, a: number, b: number): void;
  remuw(rd: number, a: number, b: number): void;
}

// Wasm binary opcodes (WebAssembly Core Specification 2.0, 5.4).
const I32 = 0x7f, I64 = 0x7e;
const END = 0x0b, IF = 0x04, ELSE = 0x05, CALL = 0x10;
const LOCAL_GET = 0x20, LOCAL_SET = 0x21;
const I32_LOAD = 0x28, I64_LOAD = 0x29, I64_STORE = 0x37;
const I32_CONST = 0x41, I64_CONST = 0x42;
const I32_EQZ = 0x45, I32_EQ = 0x46, I32_AND = 0x71;
const I64_EQZ = 0x50, I64_EQ = 0x51;
const I32_MUL = 0x6c, I32_DIV_S = 0x6d, I32_DIV_U = 0x6e, I32_REM_S = 0x6f, I32_REM_U = 0x70;
const I64_ADD = 0x7c, I64_SUB = 0x7d, I64_MUL = 0x7e, I64_DIV_S = 0x7f, I64_DIV_U = 0x80;
const I64_REM_S = 0x81, I64_REM_U = 0x82, I64_AND = 0x83, I64_SHR_S = 0x87, I64_SHR_U = 0x88;
const I64_EXTEND_I32_S = 0xac;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n = Math.floor(n / 128);
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}
function str(s: string): number[] {
  return [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
}
function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}
function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

// Helpers take locals 0 = rd, 1 = a, 2 = b (byte offsets).
const get = (i: number) => [LOCAL_GET, i];
const set = (i: number) => [LOCAL_SET, i];
const ld64 = (i: number) => [LOCAL_GET, i, I64_LOAD, 3, 0];
const ld32 = (i: number) => [LOCAL_GET, i, I32_LOAD, 2, 0];
const k64 = (v: number) => [I64_CONST, ...sleb(v)];
const k32 = (v: number) => [I32_CONST, ...sleb(v)];
/** rd <- (value left on the stack by `expr`) */
const store = (expr: number[]) => [LOCAL_GET, 0, ...expr, I64_STORE, 3, 0];
const FN_MULHU = 0; // internal (i64, i64) -> i64

interface Fn { name: string | null; type: number; locals: number[][]; body: number[] }

function buildFunctions(): Fn[] {
  const fns: Fn[] = [];
  // mulhu(a, b): high 64 bits of the unsigned 128-bit product.
  // locals: 0 a, 1 b, 2 a0, 3 a1, 4 b0, 5 b1, 6 p01, 7 p10, 8 mid
  const lo32 = (i: number) => [...get(i), ...k64(0xffffffff), I64_AND];
  const hi32 = (i: number) => [...get(i), ...k64(32), I64_SHR_U];
  fns.push({
    name: null,
    type: 1,
    locals: [[7, I64]],
    body: [
      ...lo32(0), ...set(2), ...hi32(0), ...set(3),
      ...lo32(1), ...set(4), ...hi32(1), ...set(5),
      ...get(2), ...get(5), I64_MUL, ...set(6),
      ...get(3), ...get(4), I64_MUL, ...set(7),
      // mid = (a0*b0 >> 32) + lo32(p01) + lo32(p10)
      ...get(2), ...get(4), I64_MUL, ...k64(32), I64_SHR_U,
      ...lo32(6), I64_ADD, ...lo32(7), I64_ADD, ...set(8),
      // a1*b1 + hi32(p01) + hi32(p10) + hi32(mid)
      ...get(3), ...get(5), I64_MUL,
      ...hi32(6), I64_ADD, ...hi32(7), I64_ADD, ...hi32(8), I64_ADD,
    ],
  });
  const bin = (name: string, body: number[], locals: number[][] = []) =>
    fns.push({ name, type: 0, locals, body });
  // locals for 64-bit helpers: 3 = a value, 4 = b value
  const loadAB = [...ld64(1), ...set(3), ...ld64(2), ...set(4)];
  const L64: number[][] = [[2, I64]];
  bin('mul', store([...ld64(1), ...ld64(2), I64_MUL]));
  // signed high = mulhu(a,b) - (a<0 ? b : 0) - (b<0 ? a : 0)
  bin('mulh', [...loadAB, ...store([
    ...get(3), ...get(4), CALL, FN_MULHU,
    ...get(3), ...k64(63), I64_SHR_S, ...get(4), I64_AND, I64_SUB,
    ...get(4), ...k64(63), I64_SHR_S, ...get(3), I64_AND, I64_SUB,
  ])], L64);
  bin('mulhsu', [...loadAB, ...store([
    ...get(3), ...get(4), CALL, FN_MULHU,
    ...get(3), ...k64(63), I64_SHR_S, ...get(4), I64_AND, I64_SUB,
  ])], L64);
  bin('mulhu', [...loadAB, ...store([...get(3), ...get(4), CALL, FN_MULHU])], L64);
  const ifElse64 = (cond: number[], then: number[], els: number[]) =>
    [...cond, IF, I64, ...then, ELSE, ...els, END];
  const INT64_MIN = [I64_CONST, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f];
  bin('div', [...loadAB, ...store(ifElse64([...get(4), I64_EQZ], k64(-1),
    ifElse64([...get(3), ...INT64_MIN, I64_EQ, ...get(4), ...k64(-1), I64_EQ, I32_AND],
      get(3), [...get(3), ...get(4), I64_DIV_S])))], L64);
  bin('divu', [...loadAB, ...store(ifElse64([...get(4), I64_EQZ], k64(-1),
    [...get(3), ...get(4), I64_DIV_U]))], L64);
  // i64.rem_s does not trap on INT_MIN % -1 (it yields 0, as RISC-V wants), only on 0.
  bin('rem', [...loadAB, ...store(ifElse64([...get(4), I64_EQZ], get(3),
    [...get(3), ...get(4), I64_REM_S]))], L64);
  bin('remu', [...loadAB, ...store(ifElse64([...get(4), I64_EQZ], get(3),
    [...get(3), ...get(4), I64_REM_U]))], L64);
  // W forms: 32-bit operands (low words), 32-bit result sign-extended to 64.
  const L32: number[][] = [[2, I32]];
  const loadAB32 = [...ld32(1), ...set(3), ...ld32(2), ...set(4)];
  const ifElse32 = (cond: number[], then: number[], els: number[]) =>
    [...cond, IF, I32, ...then, ELSE, ...els, END];
  const sx = (e: number[]) => [...e, I64_EXTEND_I32_S];
  bin('mulw', store(sx([...ld32(1), ...ld32(2), I32_MUL])));
  bin('divw', [...loadAB32, ...store(sx(ifElse32([...get(4), I32_EQZ], k32(-1),
    ifElse32([...get(3), ...k32(-0x80000000), I32_EQ, ...get(4), ...k32(-1), I32_EQ, I32_AND],
      get(3), [...get(3), ...get(4), I32_DIV_S]))))], L32);
  bin('divuw', [...loadAB32, ...store(sx(ifElse32([...get(4), I32_EQZ], k32(-1),
    [...get(3), ...get(4), I32_DIV_U])))], L32);
  bin('remw', [...loadAB32, ...store(sx(ifElse32([...get(4), I32_EQZ], get(3),
    [...get(3), ...get(4), I32_REM_S])))], L32);
  bin('remuw', [...loadAB32, ...store(sx(ifElse32([...get(4), I32_EQZ], get(3),
    [...get(3), ...get(4), I32_REM_U])))], L32);
  return fns;
}

/** Assemble the module; `shared` must match the imported memory's kind. */
export function muldivModuleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  const fns = buildFunctions();
  const types = section(1, vec([
    [0x60, ...vec([[I32], [I32], [I32]]), 0],
    [0x60, ...vec([[I64], [I64]]), ...vec([[I64]])],
  ]));
  // Memory import: no minimum, so any size fits. A shared memory must declare a maximum.
  const limits = shared ? [0x03, 0, ...uleb(65536)] : [0x00, 0];
  const imports = section(2, vec([[...str('e'), ...str('m'), 0x02, ...limits]]));
  const funcs = section(3, vec(fns.map((f) => uleb(f.type))));
  const exports = section(7, vec(fns.flatMap((f, i) => (f.name ? [[...str(f.name), 0x00, ...uleb(i)]] : []))));
  const code = section(10, vec(fns.map((f) => {
    const body = [...vec(f.locals.map(([n, t]) => [...uleb(n), t])), ...f.body, END];
    return [...uleb(body.length), ...body];
  })));
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...types, ...imports, ...funcs, ...exports, ...code]);
}

const moduleCache = new Map<boolean, WebAssembly.Module>();

/** Instantiate the helpers over `memory` (synchronously: the module is tiny). */
export function createMulDiv(memory: WebAssembly.Memory): MulDiv {
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  let mod = moduleCache.get(shared);
  if (!mod) {
    mod = new WebAssembly.Module(muldivModuleBytes(shared));
    moduleCache.set(shared, mod);
  }
  const inst = new WebAssembly.Instance(mod, { e: { m: memory } });
  return inst.exports as unknown as MulDiv;
}
