/*
 * The inner loop of Int4LaneMatrix.row (256 bits, levels as subnormal floats) written in C with AVX2
 * intrinsics: what the hardware gives the same instructions without the JIT. A row is 64 vectors of
 * 8 words (64 codes each, 4096 columns) and x 64 floats a vector, a chunk closed every 16 vectors
 * (groups of 128), as the kernel does. ROWS rows rotate, so codes come from L1 (1 row) or L2 (176).
 * On the Zen 3 VM this ran at 1.64-1.80 ns a vector of codes (18-20 GB/s a thread) where the Java
 * kernel takes 2.5-2.9 ns (GemvSpread, best windows): C2's loop has 12-17 scalar instructions a
 * vector beside the 19 vector ones, gcc's 3. Build and run:
 *   gcc -O3 -mavx2 -mfma -o /tmp/lane_loop examples/bench/probes/lane_loop.c && /tmp/lane_loop [ROWS]
 */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { VECTORS = 64, CHUNK = 16 };

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* one row: five masks in place, three after a shift by 20, an accumulator per code position */
__attribute__((noinline)) static float row(const int *codes, const float *x) {
    const __m256i m0 = _mm256_set1_epi32(15), m1 = _mm256_set1_epi32(15 << 4), m2 = _mm256_set1_epi32(15 << 8),
                  m3 = _mm256_set1_epi32(15 << 12), m4 = _mm256_set1_epi32(15 << 16);
    __m256 acc = _mm256_setzero_ps();
    const float *xo = x;
    for (int k = 0; k < VECTORS; k += CHUNK) {
        __m256 c0 = _mm256_setzero_ps(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        for (int v = 0; v < CHUNK; v++, xo += 64) {
            __m256i w = _mm256_load_si256((const __m256i *) (codes + 8 * (k + v))), u = _mm256_srli_epi32(w, 20);
            c0 = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_and_si256(w, m0)), _mm256_load_ps(xo), c0);
            c1 = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_and_si256(w, m1)), _mm256_load_ps(xo + 8), c1);
            c2 = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_and_si256(w, m2)), _mm256_load_ps(xo + 16), c2);
            c3 = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_and_si256(w, m3)), _mm256_load_ps(xo + 24), c3);
            c4 = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_and_si256(w, m4)), _mm256_load_ps(xo + 32), c4);
            c5 = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_and_si256(u, m0)), _mm256_load_ps(xo + 40), c5);
            c6 = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_and_si256(u, m1)), _mm256_load_ps(xo + 48), c6);
            c7 = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_and_si256(u, m2)), _mm256_load_ps(xo + 56), c7);
        }
        __m256 sum = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(c0, c1), _mm256_add_ps(c2, c3)),
                                   _mm256_add_ps(_mm256_add_ps(c4, c5), _mm256_add_ps(c6, c7)));
        acc = _mm256_add_ps(acc, sum); /* the kernel scales each chunk here: one FMA a chunk */
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, acc);
    return lanes[0] + lanes[7];
}

int main(int argc, char **argv) {
    int rows = argc > 1 ? atoi(argv[1]) : 176;
    int *codes = aligned_alloc(64, 32L * VECTORS * rows);
    float *x = aligned_alloc(64, 256L * VECTORS);
    srand(1);
    for (long i = 0; i < 8L * VECTORS * rows; i++) {
        codes[i] = rand() ^ (rand() << 16);
    }
    for (int i = 0; i < 64 * VECTORS; i++) {
        x[i] = (rand() / (float) RAND_MAX - 0.5f) * 0x1p100f; /* the scale NibbleLevels gives x for subnormal levels */
    }
    volatile float sink = 0;
    for (int round = 0; round < 6; round++) {
        double best = 1e9;
        for (int r = 0; r < 20; r++) {
            double t0 = now();
            for (int i = 0; i < 200; i++) {
                for (int j = 0; j < rows; j++) {
                    sink += row(codes + 8L * VECTORS * j, x);
                }
            }
            double t = (now() - t0) / 200 / rows / VECTORS * 1e9;
            best = t < best ? t : best;
        }
        printf("%d rows: %.2f ns per vector of 64 codes, %.1f GB/s of codes\n", rows, best, 32 / best);
    }
    return 0;
}
