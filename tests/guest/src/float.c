/*
 * printf/strtod of float and double: glibc formats in software from the bits, so the
 * output depends only on correct RV64 F/D arithmetic and integer code.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double dv[] = {
  0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 1.5, 2.5, -2.5, 1e-300, 1e300, 123456789.125,
  3.141592653589793, 2.718281828459045, 1.0 / 3.0, 0.125, 1e21, 1e22, 9007199254740993.0,
  DBL_MAX, DBL_MIN, 4.9406564584124654e-324, DBL_EPSILON, 0.3, 0.7, 1e-5, 123.456, 5e-324,
  2.2250738585072009e-308, 0.015625, 999999.5, 0.000123456789,
};
static const float fv[] = {0.0f, -0.0f, 1.0f, 0.1f, 3.4028235e38f, 1.17549435e-38f, 1e-45f, 16777217.0f, 0.333333343f, 2.5f};
static const char *fmts[] = {"%f", "%.0f", "%.1f", "%.3f", "%.17f", "%e", "%.0e", "%.3e", "%.17e", "%g", "%.3g", "%.17g", "%a", "%.3a", "%A", "%#g", "%+.2f", "% .4e", "%20.6f", "%-20.6e|"};

int main(void) {
  char buf[512];
  for (size_t i = 0; i < sizeof dv / sizeof dv[0]; i++) {
    uint64_t bits;
    memcpy(&bits, &dv[i], 8);
    printf("d[%zu] bits=%016llx\n", i, (unsigned long long)bits);
    for (size_t f = 0; f < sizeof fmts / sizeof fmts[0]; f++) {
      if (dv[i] > 1e200 && strstr(fmts[f], "f")) { /* %f of 1e300 is 300 digits; still print once */
        if (f != 0) continue;
      }
      snprintf(buf, sizeof buf, fmts[f], dv[i]);
      printf("  %s -> %s\n", fmts[f], buf);
    }
  }
  for (size_t i = 0; i < sizeof fv / sizeof fv[0]; i++) {
    uint32_t bits;
    memcpy(&bits, &fv[i], 4);
    printf("f[%zu] bits=%08x %.9g %a %e\n", i, bits, fv[i], fv[i], fv[i]);
  }
  printf("inf: %f %e %g %a %F\n", INFINITY, -INFINITY, INFINITY, -INFINITY, INFINITY);
  printf("nan: %f %e %g %F\n", NAN, NAN, -NAN, NAN);
  /* Round-half-even cases of the decimal conversion. */
  printf("rounding: %.0f %.0f %.0f %.0f %.1f %.1f %.2f\n", 0.5, 1.5, 2.5, 3.5, 0.25, 0.35, 1.005);
  /* strtod round trips: %.17g must reproduce the exact bits. */
  int rt_ok = 0, rt_n = 0;
  uint64_t x = 0x123456789abcdefull;
  for (int i = 0; i < 2000; i++) {
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    double d;
    uint64_t b = x & 0x7fefffffffffffffull; /* finite */
    memcpy(&d, &b, 8);
    snprintf(buf, sizeof buf, "%.17g", d);
    double back = strtod(buf, NULL);
    uint64_t bb;
    memcpy(&bb, &back, 8);
    rt_n++;
    if (bb == b) rt_ok++;
  }
  printf("strtod round trips: %d/%d\n", rt_ok, rt_n);
  const char *in[] = {"0.1", "1e-320", "2.2250738585072011e-308", "1.7976931348623157e308", "1e309", "-0", "0x1.8p1", "inf", "nan", "4.9e-324", "2.4703282292062328e-324", "123456789012345678901234567890", "  42abc"};
  for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
    char *end;
    double d = strtod(in[i], &end);
    uint64_t b;
    memcpy(&b, &d, 8);
    float f = strtof(in[i], NULL);
    uint32_t fb;
    memcpy(&fb, &f, 4);
    printf("strtod(\"%s\") = %016llx rest=\"%s\" strtof=%08x\n", in[i], (unsigned long long)b, end, fb);
  }
  /* libm, computed in software on the FPU. */
  printf("libm: %.17g %.17g %.17g %.17g %.17g %.17g\n", sqrt(2.0), sin(1.0), exp(1.0), log(10.0), pow(2.0, 0.5), atan2(1.0, -1.0));
  printf("libmf: %.9g %.9g %.9g\n", sqrtf(2.0f), sinf(1.0f), expf(1.0f));
  return 0;
}
