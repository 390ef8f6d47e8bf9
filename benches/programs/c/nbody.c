/* n-body: the classic 5-body simulation, same constants, operation order
 * and step count as ../nbody.cl. Floats are printed the way ClaudeLang
 * prints them (shortest round-trip digits, Rust `{:?}` style), so the two
 * outputs can be compared as text at full precision. Build with
 * -ffp-contract=off so no multiply-add is fused (ClaudeLang rounds every
 * operation). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PI 3.141592653589793
#define SOLAR_MASS (4.0 * PI * PI)
#define DAYS_PER_YEAR 365.24
#define STEPS 150000

enum { X, Y, Z, VX, VY, VZ, MASS };
#define N 5
static double bodies[N][7];

static void body(double *b, double x, double y, double z, double vx, double vy, double vz, double mass) {
    b[X] = x; b[Y] = y; b[Z] = z;
    b[VX] = vx * DAYS_PER_YEAR; b[VY] = vy * DAYS_PER_YEAR; b[VZ] = vz * DAYS_PER_YEAR;
    b[MASS] = mass * SOLAR_MASS;
}

static void offset_momentum(void) {
    double px = 0.0, py = 0.0, pz = 0.0;
    for (int i = 0; i < N; i++) {
        double *b = bodies[i];
        px = px + b[VX] * b[MASS];
        py = py + b[VY] * b[MASS];
        pz = pz + b[VZ] * b[MASS];
    }
    bodies[0][VX] = -px / SOLAR_MASS;
    bodies[0][VY] = -py / SOLAR_MASS;
    bodies[0][VZ] = -pz / SOLAR_MASS;
}

static double energy(void) {
    double e = 0.0;
    for (int i = 0; i < N; i++) {
        double *b = bodies[i];
        double vx = b[VX], vy = b[VY], vz = b[VZ];
        e = e + 0.5 * b[MASS] * (vx * vx + vy * vy + vz * vz);
        for (int j = i + 1; j < N; j++) {
            double *b2 = bodies[j];
            double dx = b[X] - b2[X], dy = b[Y] - b2[Y], dz = b[Z] - b2[Z];
            e = e - (b[MASS] * b2[MASS]) / sqrt(dx * dx + dy * dy + dz * dz);
        }
    }
    return e;
}

static void advance(double dt) {
    for (int i = 0; i < N; i++) {
        double *b = bodies[i];
        for (int j = i + 1; j < N; j++) {
            double *b2 = bodies[j];
            double dx = b[X] - b2[X], dy = b[Y] - b2[Y], dz = b[Z] - b2[Z];
            double dsq = dx * dx + dy * dy + dz * dz;
            double mag = dt / (dsq * sqrt(dsq));
            double m = b[MASS], m2 = b2[MASS];
            b[VX] = b[VX] - dx * m2 * mag;
            b[VY] = b[VY] - dy * m2 * mag;
            b[VZ] = b[VZ] - dz * m2 * mag;
            b2[VX] = b2[VX] + dx * m * mag;
            b2[VY] = b2[VY] + dy * m * mag;
            b2[VZ] = b2[VZ] + dz * m * mag;
        }
    }
    for (int i = 0; i < N; i++) {
        double *b = bodies[i];
        b[X] = b[X] + dt * b[VX];
        b[Y] = b[Y] + dt * b[VY];
        b[Z] = b[Z] + dt * b[VZ];
    }
}

/* A float as ClaudeLang prints it: the shortest digits that read back as
 * the same double; decimal notation for 1e-4 <= |x| < 1e16 (always with a
 * '.'), otherwise d.ddde[-]N; inf, -inf, nan in lower case. */
static void print_float(double x) {
    if (isnan(x)) { puts("nan"); return; }
    if (isinf(x)) { puts(x < 0 ? "-inf" : "inf"); return; }
    if (x == 0.0) { puts(signbit(x) ? "-0.0" : "0.0"); return; }
    char buf[64];
    for (int p = 0; p <= 17; p++) {
        snprintf(buf, sizeof buf, "%.*e", p, x);
        if (strtod(buf, NULL) == x) break;
    }
    /* buf = [-]d[.ddd]e(+|-)NN: split into sign, digits, exponent. */
    const char *s = buf;
    int neg = 0;
    if (*s == '-') { neg = 1; s++; }
    char digits[32];
    int nd = 0;
    for (; *s && *s != 'e'; s++)
        if (*s != '.') digits[nd++] = *s;
    digits[nd] = '\0';
    int exp10 = atoi(s + 1);
    char out[96];
    int k = 0;
    if (neg) out[k++] = '-';
    if (exp10 >= -4 && exp10 < 16) {
        if (exp10 < 0) {
            out[k++] = '0'; out[k++] = '.';
            for (int z = 0; z < -exp10 - 1; z++) out[k++] = '0';
            for (int d = 0; d < nd; d++) out[k++] = digits[d];
        } else {
            for (int d = 0; d <= exp10; d++) out[k++] = d < nd ? digits[d] : '0';
            out[k++] = '.';
            if (nd > exp10 + 1)
                for (int d = exp10 + 1; d < nd; d++) out[k++] = digits[d];
            else
                out[k++] = '0';
        }
        out[k] = '\0';
    } else {
        out[k++] = digits[0];
        if (nd > 1) {
            out[k++] = '.';
            for (int d = 1; d < nd; d++) out[k++] = digits[d];
        }
        k += snprintf(out + k, sizeof out - k, "e%d", exp10);
    }
    puts(out);
}

int main(void) {
    body(bodies[0], 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0);
    body(bodies[1], 4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
         1.66007664274403694e-03, 7.69901118419740425e-03, -6.90460016972063023e-05,
         9.54791938424326609e-04);
    body(bodies[2], 8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
         -2.76742510726862411e-03, 4.99852801234917238e-03, 2.30417297573763929e-05,
         2.85885980666130812e-04);
    body(bodies[3], 1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
         2.96460137564761618e-03, 2.37847173959480950e-03, -2.96589568540237556e-05,
         4.36624404335156298e-05);
    body(bodies[4], 1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
         2.68067772490389322e-03, 1.62824170038242295e-03, -9.51592254519715870e-05,
         5.15138902046611451e-05);
    offset_momentum();
    print_float(energy());
    for (int s = 0; s < STEPS; s++) advance(0.01);
    print_float(energy());
    return 0;
}
