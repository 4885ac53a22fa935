/* nbody: double-precision numerics. The classic 5-body simulation (sqrt per
 * pair) followed by a small dense matrix multiply, repeated.
 * usage: nbody [STEPS [MATN]]   (default 250000 steps, 64x64 matrices);
 * prints energies and a matrix checksum. Built with -ffp-contract=off so that
 * no fused multiply-add changes the rounding between x86-64 and riscv64. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define PI 3.141592653589793
#define SOLAR_MASS (4 * PI * PI)
#define DAYS_PER_YEAR 365.24

typedef struct { double x, y, z, vx, vy, vz, m; } body_t;

static body_t bodies[5] = {
  {0, 0, 0, 0, 0, 0, SOLAR_MASS},
  {4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
   1.66007664274403694e-03 * DAYS_PER_YEAR, 7.69901118419740425e-03 * DAYS_PER_YEAR,
   -6.90460016972063023e-05 * DAYS_PER_YEAR, 9.54791938424326609e-04 * SOLAR_MASS},
  {8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
   -2.76742510726862411e-03 * DAYS_PER_YEAR, 4.99852801234917238e-03 * DAYS_PER_YEAR,
   2.30417297573763929e-05 * DAYS_PER_YEAR, 2.85885980666130812e-04 * SOLAR_MASS},
  {1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
   2.96460137564761618e-03 * DAYS_PER_YEAR, 2.37847173959480950e-03 * DAYS_PER_YEAR,
   -2.96589568540237556e-05 * DAYS_PER_YEAR, 4.36624404335156298e-05 * SOLAR_MASS},
  {1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
   2.68067772490389322e-03 * DAYS_PER_YEAR, 1.62824170038242295e-03 * DAYS_PER_YEAR,
   -9.51592254519715870e-05 * DAYS_PER_YEAR, 5.15138902046611451e-05 * SOLAR_MASS}};

static void offset_momentum(void) {
  double px = 0, py = 0, pz = 0;
  for (int i = 0; i < 5; i++) { px += bodies[i].vx * bodies[i].m; py += bodies[i].vy * bodies[i].m; pz += bodies[i].vz * bodies[i].m; }
  bodies[0].vx = -px / SOLAR_MASS; bodies[0].vy = -py / SOLAR_MASS; bodies[0].vz = -pz / SOLAR_MASS;
}

static double energy(void) {
  double e = 0;
  for (int i = 0; i < 5; i++) {
    body_t *b = &bodies[i];
    e += 0.5 * b->m * (b->vx * b->vx + b->vy * b->vy + b->vz * b->vz);
    for (int j = i + 1; j < 5; j++) {
      body_t *c = &bodies[j];
      double dx = b->x - c->x, dy = b->y - c->y, dz = b->z - c->z;
      e -= b->m * c->m / sqrt(dx * dx + dy * dy + dz * dz);
    }
  }
  return e;
}

static void advance(double dt) {
  for (int i = 0; i < 5; i++) {
    body_t *b = &bodies[i];
    for (int j = i + 1; j < 5; j++) {
      body_t *c = &bodies[j];
      double dx = b->x - c->x, dy = b->y - c->y, dz = b->z - c->z;
      double d2 = dx * dx + dy * dy + dz * dz;
      double mag = dt / (d2 * sqrt(d2));
      b->vx -= dx * c->m * mag; b->vy -= dy * c->m * mag; b->vz -= dz * c->m * mag;
      c->vx += dx * b->m * mag; c->vy += dy * b->m * mag; c->vz += dz * b->m * mag;
    }
  }
  for (int i = 0; i < 5; i++) { body_t *b = &bodies[i]; b->x += dt * b->vx; b->y += dt * b->vy; b->z += dt * b->vz; }
}

int main(int argc, char **argv) {
  long steps = argc > 1 ? atol(argv[1]) : 250000;
  int n = argc > 2 ? atoi(argv[2]) : 64;
  offset_momentum();
  double e0 = energy();
  for (long i = 0; i < steps; i++) advance(0.01);
  double e1 = energy();

  double *a = malloc(sizeof(double) * n * n), *b = malloc(sizeof(double) * n * n), *c = malloc(sizeof(double) * n * n);
  for (int i = 0; i < n * n; i++) { a[i] = (double)(i % 17) / 7.0 - 1.0; b[i] = (double)(i % 13) / 5.0 + 0.25; }
  int reps = (int)(steps / 50000) + 1;
  double trace = 0;
  for (int r = 0; r < reps; r++) {
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++) {
        double s = 0;
        for (int k = 0; k < n; k++) s += a[i * n + k] * b[k * n + j];
        c[i * n + j] = s;
      }
    for (int i = 0; i < n; i++) { trace += c[i * n + i]; a[i * n + (i + r) % n] += c[i * n + i] * 1e-6; }
  }
  printf("nbody %ld steps: e0=%.12f e1=%.12f matmul %dx%d x%d: trace=%.12e\n", steps, e0, e1, n, n, reps, trace);
  free(a); free(b); free(c);
  return 0;
}
