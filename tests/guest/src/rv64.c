/*
 * RV64GC instruction classes (RISC-V Unprivileged ISA 20191213: RV64I ch.5, M ch.7,
 * A ch.8, F/D ch.11-12, Zicsr/Zicntr ch.9-10), exercised with inline asm so the
 * compiler cannot fold them, results printed as hex. Compiled as rv64gc, so most of
 * the surrounding code is compressed (C extension).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef uint64_t u64;
typedef uint32_t u32;

static const u64 V[] = {0, 1, 2, 3, 0x7fffffffull, 0x80000000ull, 0xffffffffull, 0x7fffffffffffffffull,
                        0x8000000000000000ull, 0xffffffffffffffffull, 0xfffffffffffffffdull, 0x123456789abcdef0ull,
                        0xfedcba9876543210ull, 63, 64, 31, 32};
#define NV (sizeof V / sizeof V[0])

#define RR(op, a, b) ({ u64 _r; __asm__ volatile(op " %0, %1, %2" : "=r"(_r) : "r"(a), "r"(b)); _r; })

static u64 hash = 0xcbf29ce484222325ull;
static void mix(u64 v) { for (int i = 0; i < 8; i++) { hash ^= (v >> (8 * i)) & 0xff; hash *= 0x100000001b3ull; } }

#define TABLE(op)                                                   \
  do {                                                              \
    hash = 0xcbf29ce484222325ull;                                   \
    for (unsigned i = 0; i < NV; i++)                               \
      for (unsigned j = 0; j < NV; j++) mix(RR(op, V[i], V[j]));   \
    printf("%-7s table hash %016llx  sample %016llx %016llx\n", op, (unsigned long long)hash, \
           (unsigned long long)RR(op, V[11], V[3]), (unsigned long long)RR(op, V[8], V[9])); \
  } while (0)

static void alu(void) {
  TABLE("add"); TABLE("sub"); TABLE("sll"); TABLE("srl"); TABLE("sra"); TABLE("slt"); TABLE("sltu");
  TABLE("xor"); TABLE("or"); TABLE("and");
  TABLE("addw"); TABLE("subw"); TABLE("sllw"); TABLE("srlw"); TABLE("sraw");
  TABLE("mul"); TABLE("mulh"); TABLE("mulhu"); TABLE("mulhsu"); TABLE("mulw");
  TABLE("div"); TABLE("divu"); TABLE("rem"); TABLE("remu");
  TABLE("divw"); TABLE("divuw"); TABLE("remw"); TABLE("remuw");
}

#define P1(name, expr) printf("%-28s %016llx\n", name, (unsigned long long)(expr))

static void edges(void) {
  u64 z = 0, m1 = ~0ull, mn = 0x8000000000000000ull, x = 0x123456789abcdef0ull, wmn = 0xffffffff80000000ull;
  P1("div x/0", RR("div", x, z));
  P1("divu x/0", RR("divu", x, z));
  P1("rem x%0", RR("rem", x, z));
  P1("remu x%0", RR("remu", x, z));
  P1("div min/-1", RR("div", mn, m1));
  P1("rem min%-1", RR("rem", mn, m1));
  P1("divw x/0", RR("divw", x, z));
  P1("remw x%0", RR("remw", x, z));
  P1("divuw x/0", RR("divuw", x, z));
  P1("remuw x%0", RR("remuw", x, z));
  P1("divw min/-1", RR("divw", wmn, m1));
  P1("remw min%-1", RR("remw", wmn, m1));
  P1("div -7/2", RR("div", (u64)-7, (u64)2));
  P1("rem -7%2", RR("rem", (u64)-7, (u64)2));
  P1("mulh -1*-1", RR("mulh", m1, m1));
  P1("mulhsu -1*max", RR("mulhsu", m1, m1));
  P1("mulhu max*max", RR("mulhu", m1, m1));
  u64 r;
  __asm__ volatile("addi %0, %1, -2048" : "=r"(r) : "r"(x)); P1("addi -2048", r);
  __asm__ volatile("addiw %0, %1, 2047" : "=r"(r) : "r"(0x7fffffffull)); P1("addiw overflow", r);
  __asm__ volatile("slti %0, %1, -1" : "=r"(r) : "r"(mn)); P1("slti", r);
  __asm__ volatile("sltiu %0, %1, -1" : "=r"(r) : "r"(x)); P1("sltiu", r);
  __asm__ volatile("xori %0, %1, -1" : "=r"(r) : "r"(x)); P1("xori -1 (not)", r);
  __asm__ volatile("ori %0, %1, 0x555" : "=r"(r) : "r"(x)); P1("ori", r);
  __asm__ volatile("andi %0, %1, -16" : "=r"(r) : "r"(x)); P1("andi", r);
  __asm__ volatile("slli %0, %1, 63" : "=r"(r) : "r"(3ull)); P1("slli 63", r);
  __asm__ volatile("srli %0, %1, 63" : "=r"(r) : "r"(mn)); P1("srli 63", r);
  __asm__ volatile("srai %0, %1, 63" : "=r"(r) : "r"(mn)); P1("srai 63", r);
  __asm__ volatile("slliw %0, %1, 31" : "=r"(r) : "r"(3ull)); P1("slliw 31", r);
  __asm__ volatile("srliw %0, %1, 1" : "=r"(r) : "r"(wmn)); P1("srliw 1", r);
  __asm__ volatile("sraiw %0, %1, 4" : "=r"(r) : "r"(0x80000000ull)); P1("sraiw 4", r);
  __asm__ volatile("lui %0, 0x80000" : "=r"(r)); P1("lui 0x80000", r);
  __asm__ volatile("lui %0, 0x7ffff" : "=r"(r)); P1("lui 0x7ffff", r);
  u64 a1, a2;
  __asm__ volatile("auipc %0, 0\n\tauipc %1, 1" : "=r"(a1), "=r"(a2)); P1("auipc delta", a2 - a1);
  u64 link, here;
  __asm__ volatile("jal %0, 1f\n1:\tauipc %1, 0" : "=r"(link), "=r"(here)); P1("jal link==next", link == here);
  /* compressed forms, explicitly */
  __asm__ volatile(".option push\n.option rvc\n\tc.li %0, -5\n\tc.addi %0, 3\n\tc.slli %0, 4\n.option pop" : "=r"(r)); P1("c.li/c.addi/c.slli", r);
  u64 cr = x;
  __asm__ volatile(".option push\n.option rvc\n\tc.srai %0, 8\n\tc.andi %0, -9\n.option pop" : "+r"(cr)); P1("c.srai/c.andi", cr);
}

static void loads(void) {
  static unsigned char buf[16] = {0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0xf9, 0x7a, 0x7b, 0xfc, 1, 2, 3, 4};
  u64 r;
  __asm__ volatile("lb %0, 0(%1)" : "=r"(r) : "r"(buf)); P1("lb", r);
  __asm__ volatile("lbu %0, 0(%1)" : "=r"(r) : "r"(buf)); P1("lbu", r);
  __asm__ volatile("lh %0, 2(%1)" : "=r"(r) : "r"(buf)); P1("lh", r);
  __asm__ volatile("lhu %0, 2(%1)" : "=r"(r) : "r"(buf)); P1("lhu", r);
  __asm__ volatile("lw %0, 4(%1)" : "=r"(r) : "r"(buf)); P1("lw", r);
  __asm__ volatile("lwu %0, 4(%1)" : "=r"(r) : "r"(buf)); P1("lwu", r);
  __asm__ volatile("ld %0, 8(%1)" : "=r"(r) : "r"(buf)); P1("ld", r);
  __asm__ volatile("lh %0, 9(%1)" : "=r"(r) : "r"(buf)); P1("lh misaligned", r);
  __asm__ volatile("lw %0, 9(%1)" : "=r"(r) : "r"(buf)); P1("lw misaligned", r);
  unsigned char out[16];
  memset(out, 0xaa, sizeof out);
  __asm__ volatile("sb %1, 0(%0)\n\tsh %1, 2(%0)\n\tsw %1, 4(%0)\n\tsd %1, 8(%0)" : : "r"(out), "r"(0x1122334455667788ull) : "memory");
  u64 o0, o1;
  memcpy(&o0, out, 8); memcpy(&o1, out + 8, 8);
  P1("sb/sh/sw", o0); P1("sd", o1);
}

static void atomics(void) {
  static u64 d = 10;
  static u32 w = 10;
  u64 r;
  r = __atomic_fetch_add(&d, 5, __ATOMIC_SEQ_CST); P1("amoadd.d old", r); P1("amoadd.d new", d);
  r = __atomic_exchange_n(&d, 0xdeadbeefcafebabeull, __ATOMIC_ACQ_REL); P1("amoswap.d old", r);
  r = __atomic_fetch_and(&d, 0xffff0000ffff0000ull, __ATOMIC_RELAXED); P1("amoand.d", d);
  r = __atomic_fetch_or(&d, 0x11, __ATOMIC_RELAXED); P1("amoor.d", d);
  r = __atomic_fetch_xor(&d, ~0ull, __ATOMIC_RELAXED); P1("amoxor.d", d);
  u64 exp = d, ok;
  ok = __atomic_compare_exchange_n(&d, &exp, 77, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); P1("cas.d success", ok); P1("cas.d value", d);
  exp = 1;
  ok = __atomic_compare_exchange_n(&d, &exp, 88, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); P1("cas.d fail", ok); P1("cas.d expected", exp);
  u32 rw = __atomic_fetch_add(&w, 0xfffffff0u, __ATOMIC_SEQ_CST); P1("amoadd.w old", rw); P1("amoadd.w new", w);
  u64 rv;
  static u64 m = 5;
  __asm__ volatile("amomin.d %0, %2, (%1)" : "=r"(rv) : "r"(&m), "r"((u64)-3) : "memory"); P1("amomin.d old", rv); P1("amomin.d mem", m);
  __asm__ volatile("amominu.d %0, %2, (%1)" : "=r"(rv) : "r"(&m), "r"((u64)7) : "memory"); P1("amominu.d mem", m);
  __asm__ volatile("amomax.d %0, %2, (%1)" : "=r"(rv) : "r"(&m), "r"((u64)-100) : "memory"); P1("amomax.d mem", m);
  __asm__ volatile("amomaxu.d %0, %2, (%1)" : "=r"(rv) : "r"(&m), "r"((u64)-100) : "memory"); P1("amomaxu.d mem", m);
  static u32 mw = 0x7ffffff0;
  __asm__ volatile("amomin.w %0, %2, (%1)" : "=r"(rv) : "r"(&mw), "r"((u64)0x80000000u) : "memory"); P1("amomin.w old(sext)", rv); P1("amomin.w mem", mw);
  __asm__ volatile("amomaxu.w %0, %2, (%1)" : "=r"(rv) : "r"(&mw), "r"((u64)0xffffffffu) : "memory"); P1("amomaxu.w mem", mw);
  __asm__ volatile("amoswap.w.aqrl %0, %2, (%1)" : "=r"(rv) : "r"(&mw), "r"((u64)0x12345678) : "memory"); P1("amoswap.w old", rv);
  /* lr/sc increment loop */
  static u64 ctr = 0;
  for (int i = 0; i < 1000; i++) {
    u64 tmp, fail;
    __asm__ volatile("1: lr.d %0, (%2)\n\taddi %0, %0, 3\n\tsc.d %1, %0, (%2)\n\tbnez %1, 1b"
                     : "=&r"(tmp), "=&r"(fail) : "r"(&ctr) : "memory");
  }
  P1("lr.d/sc.d loop", ctr);
  static u32 wctr = 0xfffffffe;
  u64 tmp, fail;
  __asm__ volatile("1: lr.w %0, (%2)\n\taddi %0, %0, 1\n\tsc.w %1, %0, (%2)\n\tbnez %1, 1b" : "=&r"(tmp), "=&r"(fail) : "r"(&wctr) : "memory");
  P1("lr.w/sc.w value(sext)", tmp); P1("lr.w/sc.w mem", wctr);
  /* sc without a reservation must fail (nonzero) and not store */
  static u64 lone = 9;
  __asm__ volatile("lr.d %0, (%2)\n\tsc.d %0, %3, (%2)\n\tsc.d %1, %3, (%2)" : "=&r"(tmp), "=&r"(fail) : "r"(&lone), "r"((u64)11) : "memory");
  P1("sc after sc fails", fail != 0); P1("mem after sc/sc", lone);
}

/* ---- F and D ---- */
static u64 dbits(double d) { u64 b; memcpy(&b, &d, 8); return b; }
static u32 fbits(float f) { u32 b; memcpy(&b, &f, 4); return b; }
static double bd(u64 b) { double d; memcpy(&d, &b, 8); return d; }
static float bf(u32 b) { float f; memcpy(&f, &b, 4); return f; }

static u64 rdflags_clear(void) { u64 f; __asm__ volatile("csrrw %0, fflags, zero" : "=r"(f)); return f; }

#define FOP_RM(insn, rm, T, a, b) ({ T _r; __asm__ volatile(insn " %0, %1, %2, " rm : "=f"(_r) : "f"(a), "f"(b)); _r; })
#define FOP1_RM(insn, rm, T, a) ({ T _r; __asm__ volatile(insn " %0, %1, " rm : "=f"(_r) : "f"(a)); _r; })

#define ROUNDING(rm)                                                                                   \
  do {                                                                                                 \
    double a = 1.0, b = 3.0, c = -1.0, e = 0x1p-60;                                                    \
    float fa = 1.0f, fb = 3.0f, fc = -1.0f, fe = 0x1p-30f;                                             \
    rdflags_clear();                                                                                   \
    u64 r1 = dbits(FOP_RM("fdiv.d", rm, double, a, b)); u64 f1 = rdflags_clear();                     \
    u64 r2 = dbits(FOP_RM("fdiv.d", rm, double, c, b)); u64 f2 = rdflags_clear();                     \
    u64 r3 = dbits(FOP_RM("fadd.d", rm, double, a, e)); u64 f3 = rdflags_clear();                     \
    u64 r4 = dbits(FOP_RM("fsub.d", rm, double, c, e)); u64 f4 = rdflags_clear();                     \
    u64 r5 = dbits(FOP_RM("fmul.d", rm, double, bd(0x3ff0000000000001ull), bd(0x3ff0000000000001ull))); u64 f5 = rdflags_clear(); \
    u64 r6 = dbits(FOP1_RM("fsqrt.d", rm, double, b)); u64 f6 = rdflags_clear();                     \
    u32 s1 = fbits(FOP_RM("fdiv.s", rm, float, fa, fb)); u64 g1 = rdflags_clear();                    \
    u32 s2 = fbits(FOP_RM("fadd.s", rm, float, fc, fe)); u64 g2 = rdflags_clear();                    \
    u32 s3 = fbits(FOP1_RM("fsqrt.s", rm, float, fb)); u64 g3 = rdflags_clear();                     \
    u64 r7 = dbits(FOP_RM("fmul.d", rm, double, bd(0x7fe0000000000000ull), b)); u64 f7 = rdflags_clear(); \
    u64 r8 = dbits(FOP_RM("fmul.d", rm, double, bd(0x0010000000000001ull), bd(0x3fe0000000000000ull))); u64 f8 = rdflags_clear(); \
    printf("rm=%s div.d %016llx/%llx %016llx/%llx add.d %016llx/%llx sub.d %016llx/%llx mul.d %016llx/%llx sqrt.d %016llx/%llx\n", rm, \
           (unsigned long long)r1, (unsigned long long)f1, (unsigned long long)r2, (unsigned long long)f2, (unsigned long long)r3, \
           (unsigned long long)f3, (unsigned long long)r4, (unsigned long long)f4, (unsigned long long)r5, (unsigned long long)f5, \
           (unsigned long long)r6, (unsigned long long)f6);                                                                 \
    printf("rm=%s div.s %08x/%llx add.s %08x/%llx sqrt.s %08x/%llx ovf.d %016llx/%llx unf.d %016llx/%llx\n", rm, s1,                   \
           (unsigned long long)g1, s2, (unsigned long long)g2, s3, (unsigned long long)g3, (unsigned long long)r7,        \
           (unsigned long long)f7, (unsigned long long)r8, (unsigned long long)f8);                                       \
  } while (0)

#define CVT(insn, rm, src) ({ u64 _r; __asm__ volatile(insn " %0, %1, " rm : "=r"(_r) : "f"(src)); _r; })

static void fp(void) {
  ROUNDING("rne"); ROUNDING("rtz"); ROUNDING("rdn"); ROUNDING("rup"); ROUNDING("rmm");

  const u64 dsrc[] = {0x4004000000000000ull /*2.5*/, 0xc004000000000000ull /*-2.5*/, 0x3fe0000000000000ull /*0.5*/,
                      0x41e0000000000000ull /*2^31*/, 0xc1e0000000200000ull /*-2^31-1*/, 0x43e0000000000000ull /*2^63*/,
                      0x7ff0000000000000ull, 0xfff0000000000000ull, 0x7ff8000000000000ull, 0x7ff0000000000001ull,
                      0xbff0000000000000ull, 0x41f0000000000000ull /*2^32*/};
  for (unsigned i = 0; i < sizeof dsrc / 8; i++) {
    double s = bd(dsrc[i]);
    rdflags_clear();
    u64 w = CVT("fcvt.w.d", "rne", s); u64 fw = rdflags_clear();
    u64 wu = CVT("fcvt.wu.d", "rtz", s); u64 fwu = rdflags_clear();
    u64 l = CVT("fcvt.l.d", "rmm", s); u64 fl = rdflags_clear();
    u64 lu = CVT("fcvt.lu.d", "rup", s); u64 flu = rdflags_clear();
    u64 wd = CVT("fcvt.w.d", "rdn", s); u64 fwd = rdflags_clear();
    float fs; __asm__ volatile("fcvt.s.d %0, %1" : "=f"(fs) : "f"(s)); u64 ffs = rdflags_clear();
    u64 cls; __asm__ volatile("fclass.d %0, %1" : "=r"(cls) : "f"(s));
    printf("cvt %016llx: w.rne %016llx/%llx wu.rtz %016llx/%llx l.rmm %016llx/%llx lu.rup %016llx/%llx w.rdn %016llx/%llx s %08x/%llx class %03llx\n",
           (unsigned long long)dsrc[i], (unsigned long long)w, (unsigned long long)fw, (unsigned long long)wu, (unsigned long long)fwu,
           (unsigned long long)l, (unsigned long long)fl, (unsigned long long)lu, (unsigned long long)flu, (unsigned long long)wd,
           (unsigned long long)fwd, fbits(fs), (unsigned long long)ffs, (unsigned long long)cls);
  }
  const u64 isrc[] = {0, 1, (u64)-1, 0x7fffffffffffffffull, 0x8000000000000000ull, 0x20000001ull, 0x0020000000000001ull};
  for (unsigned i = 0; i < sizeof isrc / 8; i++) {
    double d1, d2; float f1, f2, f3;
    rdflags_clear();
    __asm__ volatile("fcvt.d.l %0, %1" : "=f"(d1) : "r"(isrc[i])); u64 a = rdflags_clear();
    __asm__ volatile("fcvt.d.lu %0, %1" : "=f"(d2) : "r"(isrc[i])); u64 b = rdflags_clear();
    __asm__ volatile("fcvt.s.l %0, %1, rtz" : "=f"(f1) : "r"(isrc[i])); u64 c = rdflags_clear();
    __asm__ volatile("fcvt.s.w %0, %1" : "=f"(f2) : "r"(isrc[i])); u64 e = rdflags_clear();
    __asm__ volatile("fcvt.s.wu %0, %1" : "=f"(f3) : "r"(isrc[i])); u64 g = rdflags_clear();
    printf("icvt %016llx: d.l %016llx/%llx d.lu %016llx/%llx s.l.rtz %08x/%llx s.w %08x/%llx s.wu %08x/%llx\n", (unsigned long long)isrc[i],
           (unsigned long long)dbits(d1), (unsigned long long)a, (unsigned long long)dbits(d2), (unsigned long long)b, fbits(f1),
           (unsigned long long)c, fbits(f2), (unsigned long long)e, fbits(f3), (unsigned long long)g);
  }
  /* fclass.s, NaN boxing, fmv */
  const u32 fsrc[] = {0xff800000, 0xbf800000, 0x80000001, 0x80000000, 0x00000000, 0x00000001, 0x3f800000, 0x7f800000, 0x7f800001, 0x7fc00000};
  for (unsigned i = 0; i < sizeof fsrc / 4; i++) {
    u64 cls; __asm__ volatile("fclass.s %0, %1" : "=r"(cls) : "f"(bf(fsrc[i])));
    printf("fclass.s %08x = %03llx\n", fsrc[i], (unsigned long long)cls);
  }
  {
    u64 xv; double dd = bd(0x3ff0000000000000ull);
    /* a double register read as single is not NaN-boxed: must behave as canonical NaN */
    u64 cls; __asm__ volatile("fclass.s %0, %1" : "=r"(cls) : "f"(dd)); P1("fclass.s unboxed", cls);
    __asm__ volatile("fmv.x.w %0, %1" : "=r"(xv) : "f"(bf(0x80000000u))); P1("fmv.x.w sext", xv);
    float ff; __asm__ volatile("fmv.w.x %0, %1" : "=f"(ff) : "r"(0xffffffff3f800000ull)); P1("fmv.w.x", fbits(ff));
    double box; __asm__ volatile("fmv.w.x %0, %1" : "=f"(box) : "r"(0x3f800000ull)); P1("fmv.w.x NaN-box", dbits(box));
    __asm__ volatile("fmv.x.d %0, %1" : "=r"(xv) : "f"(bd(0xfff8000000000001ull))); P1("fmv.x.d", xv);
  }
  /* min/max with NaNs and signed zeros, comparisons */
  const u64 qnan = 0x7ff8000000000000ull, snan = 0x7ff0000000000001ull, pz = 0, nz = 0x8000000000000000ull, one = 0x3ff0000000000000ull;
  const u64 mm[][2] = {{qnan, one}, {one, qnan}, {snan, one}, {qnan, qnan}, {snan, snan}, {pz, nz}, {nz, pz}, {one, nz}};
  for (unsigned i = 0; i < sizeof mm / sizeof mm[0]; i++) {
    double a = bd(mm[i][0]), b = bd(mm[i][1]), mn, mx;
    u64 eq, lt, le;
    rdflags_clear();
    __asm__ volatile("fmin.d %0, %1, %2" : "=f"(mn) : "f"(a), "f"(b)); u64 f1 = rdflags_clear();
    __asm__ volatile("fmax.d %0, %1, %2" : "=f"(mx) : "f"(a), "f"(b)); u64 f2 = rdflags_clear();
    __asm__ volatile("feq.d %0, %1, %2" : "=r"(eq) : "f"(a), "f"(b)); u64 f3 = rdflags_clear();
    __asm__ volatile("flt.d %0, %1, %2" : "=r"(lt) : "f"(a), "f"(b)); u64 f4 = rdflags_clear();
    __asm__ volatile("fle.d %0, %1, %2" : "=r"(le) : "f"(a), "f"(b)); u64 f5 = rdflags_clear();
    float fmn; __asm__ volatile("fmin.s %0, %1, %2" : "=f"(fmn) : "f"(bf(0x7fc00000u)), "f"(bf(0xbf800000u)));
    printf("minmax %016llx %016llx: min %016llx/%llx max %016llx/%llx eq %llu/%llx lt %llu/%llx le %llu/%llx fmin.s(qnan,-1) %08x\n",
           (unsigned long long)mm[i][0], (unsigned long long)mm[i][1], (unsigned long long)dbits(mn), (unsigned long long)f1,
           (unsigned long long)dbits(mx), (unsigned long long)f2, (unsigned long long)eq, (unsigned long long)f3,
           (unsigned long long)lt, (unsigned long long)f4, (unsigned long long)le, (unsigned long long)f5, fbits(fmn));
  }
  /* fused multiply-add: one rounding */
  {
    double a = bd(0x3ff0000000000001ull), b = bd(0x3ff0000000000001ull), c = bd(0xbff0000000000002ull), r;
    rdflags_clear();
    __asm__ volatile("fmadd.d %0, %1, %2, %3" : "=f"(r) : "f"(a), "f"(b), "f"(c)); P1("fmadd.d", dbits(r)); P1("fmadd.d flags", rdflags_clear());
    __asm__ volatile("fmsub.d %0, %1, %2, %3" : "=f"(r) : "f"(a), "f"(b), "f"(c)); P1("fmsub.d", dbits(r));
    __asm__ volatile("fnmadd.d %0, %1, %2, %3" : "=f"(r) : "f"(a), "f"(b), "f"(c)); P1("fnmadd.d", dbits(r));
    __asm__ volatile("fnmsub.d %0, %1, %2, %3" : "=f"(r) : "f"(a), "f"(b), "f"(c)); P1("fnmsub.d", dbits(r));
    rdflags_clear();
    __asm__ volatile("fmadd.d %0, %1, %2, %3" : "=f"(r) : "f"(bd(0x7ff0000000000000ull)), "f"(bd(0)), "f"(bd(qnan))); P1("fmadd inf*0+qnan", dbits(r)); P1("  flags (NV)", rdflags_clear());
    float fr; __asm__ volatile("fmadd.s %0, %1, %2, %3, rup" : "=f"(fr) : "f"(bf(0x3f800001u)), "f"(bf(0x3f800001u)), "f"(bf(0xbf800000u))); P1("fmadd.s rup", fbits(fr));
    __asm__ volatile("fsgnj.d %0, %1, %2" : "=f"(r) : "f"(bd(one)), "f"(bd(nz))); P1("fsgnj.d", dbits(r));
    __asm__ volatile("fsgnjn.d %0, %1, %2" : "=f"(r) : "f"(bd(one)), "f"(bd(nz))); P1("fsgnjn.d", dbits(r));
    __asm__ volatile("fsgnjx.d %0, %1, %2" : "=f"(r) : "f"(bd(nz | one)), "f"(bd(nz))); P1("fsgnjx.d", dbits(r));
    rdflags_clear();
    __asm__ volatile("fdiv.d %0, %1, %2" : "=f"(r) : "f"(bd(one)), "f"(bd(pz))); P1("1/0", dbits(r)); P1("  flags (DZ)", rdflags_clear());
    __asm__ volatile("fsqrt.d %0, %1" : "=f"(r) : "f"(bd(0xbff0000000000000ull))); P1("sqrt(-1)", dbits(r)); P1("  flags (NV)", rdflags_clear());
    __asm__ volatile("fadd.d %0, %1, %2" : "=f"(r) : "f"(bd(snan)), "f"(bd(one))); P1("snan+1", dbits(r)); P1("  flags (NV)", rdflags_clear());
  }
  /* fcsr / frm / fflags CSRs */
  {
    u64 old, v;
    __asm__ volatile("frcsr %0" : "=r"(old));
    __asm__ volatile("fsrm %0, %1" : "=r"(v) : "r"(2ull)); P1("fsrm old", v);
    __asm__ volatile("frrm %0" : "=r"(v)); P1("frm", v);
    double r; __asm__ volatile("fdiv.d %0, %1, %2" : "=f"(r) : "f"(1.0), "f"(3.0)); P1("dyn rdn 1/3", dbits(r));
    __asm__ volatile("csrr %0, fcsr" : "=r"(v)); P1("fcsr after", v);
    __asm__ volatile("csrw fcsr, %0" : : "r"(0xffull)); __asm__ volatile("csrr %0, fcsr" : "=r"(v)); P1("fcsr=ff", v);
    __asm__ volatile("csrw fcsr, %0" : : "r"(0x1ffull)); __asm__ volatile("csrr %0, fcsr" : "=r"(v)); P1("fcsr=1ff masked", v);
    __asm__ volatile("csrr %0, frm" : "=r"(v)); P1("frm from fcsr", v);
    __asm__ volatile("csrs fflags, %0" : : "r"(0x1ull)); __asm__ volatile("csrr %0, fflags" : "=r"(v)); P1("fflags", v);
    __asm__ volatile("fscsr %0" : : "r"(old));
  }
}

static void counters(void) {
  u64 c1, c2, t1, t2, i1, i2;
  __asm__ volatile("rdcycle %0\n\trdtime %1\n\trdinstret %2" : "=r"(c1), "=r"(t1), "=r"(i1));
  volatile u64 s = 0;
  for (int i = 0; i < 200000; i++) s += i;
  __asm__ volatile("rdcycle %0\n\trdtime %1\n\trdinstret %2" : "=r"(c2), "=r"(t2), "=r"(i2));
  printf("rdcycle increases: %s\nrdtime increases: %s\nrdinstret increases: %s\n", c2 > c1 ? "yes" : "no",
         t2 > t1 ? "yes" : "no", i2 > i1 ? "yes" : "no");
}

int main(void) {
  alu();
  edges();
  loads();
  atomics();
  fp();
  counters();
  return 0;
}
