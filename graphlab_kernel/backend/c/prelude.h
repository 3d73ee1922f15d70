/* graphlab C prelude: the gl_* helpers that scalar ops' c_expr strings use, with NumPy's semantics,
   and the matrix-product helpers. Macros only ever receive plain identifiers (the generated code
   names every value), so evaluating an argument twice is harmless. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <math.h>
#include <stdatomic.h>
#include <dlfcn.h>

typedef _Bool gl_bool;

#define GL_ISFLOAT(x) _Generic((x), float: 1, double: 1, default: 0)

/* NaN-propagating maximum / minimum (np.maximum, np.minimum: ties, such as -0.0 and 0.0, give b) */
#define gl_max(a, b) ((((a) > (b)) | ((a) != (a))) ? (a) : (b))
#define gl_min(a, b) ((((a) < (b)) | ((a) != (a))) ? (a) : (b))
/* np.sign: NaN comes back unchanged, -0.0 gives 0.0 */
#define gl_sgn(x) ((x) > 0 ? 1 : ((x) < 0 ? -1 : ((x) == 0 ? 0 : (x))))
#define gl_clip(x, lo, hi) gl_min(gl_max(x, lo), hi)

/* Vector versions of libm functions (glibc's libmvec, within 4 ulp) let loops calling them
   vectorize; declaring them "simd" is what -ffast-math would do, without its other effects. */
#ifdef GL_HAVE_MVEC
#define GL_SIMD1(F) extern double F(double) __attribute__((simd("notinbranch"))); \
                    extern float F##f(float) __attribute__((simd("notinbranch")));
GL_SIMD1(exp) GL_SIMD1(log) GL_SIMD1(log1p) GL_SIMD1(expm1) GL_SIMD1(log2) GL_SIMD1(log10)
GL_SIMD1(sin) GL_SIMD1(cos) GL_SIMD1(tan) GL_SIMD1(asin) GL_SIMD1(acos) GL_SIMD1(atan)
GL_SIMD1(sinh) GL_SIMD1(cosh) GL_SIMD1(tanh) GL_SIMD1(erf)
extern double pow(double, double) __attribute__((simd("notinbranch")));
extern float powf(float, float) __attribute__((simd("notinbranch")));
#endif

/* Branch-free (so that loops vectorize) and without overflow for large |x|. */
static inline double gl_sigmoid_d(double x) {
    double e = exp(-fabs(x)), r = 1.0 / (1.0 + e);
    return x >= 0 ? r : e * r;
}
static inline float gl_sigmoid_f(float x) {
    float e = expf(-fabsf(x)), r = 1.0f / (1.0f + e);
    return x >= 0 ? r : e * r;
}
#define gl_sigmoid(x) _Generic((x), float: gl_sigmoid_f, default: gl_sigmoid_d)(x)

/* log(1 + exp(x)) = np.logaddexp(0, x) */
static inline double gl_softplus_d(double x) {
    return (x > 0 ? x : 0.0) + log1p(exp(-fabs(x)));
}
static inline float gl_softplus_f(float x) {
    return (x > 0 ? x : 0.0f) + log1pf(expf(-fabsf(x)));
}
#define gl_softplus(x) _Generic((x), float: gl_softplus_f, default: gl_softplus_d)(x)

#define GL_INT_HELPERS(T, S, TMIN)                                                       \
static inline T gl_abs_##S(T x) { return x < 0 ? (T)-x : x; }                            \
static inline T gl_floordiv_##S(T a, T b) {                                              \
    if (b == 0) return 0;                                                                \
    if (TMIN != 0 && b == (T)-1) return (T)(0 - a);                                      \
    T q = a / b;                                                                         \
    if ((a % b != 0) && ((a < 0) != (b < 0))) q -= 1;                                    \
    return q;                                                                            \
}                                                                                        \
static inline T gl_mod_##S(T a, T b) {                                                   \
    if (b == 0) return 0;                                                                \
    if (TMIN != 0 && b == (T)-1) return 0;                                               \
    T r = a % b;                                                                         \
    if (r != 0 && ((r < 0) != (b < 0))) r += b;                                          \
    return r;                                                                            \
}                                                                                        \
static inline T gl_pow_##S(T base, T e) {                                                \
    if (TMIN != 0 && e < 0) {                                                            \
        if (base == 1) return 1;                                                         \
        if (base == (T)-1) return (e % 2) ? (T)-1 : 1;                                   \
        return 0;                                                                        \
    }                                                                                    \
    T r = 1;                                                                             \
    while (e > 0) { if (e & 1) r = (T)(r * base); base = (T)(base * base); e >>= 1; }    \
    return r;                                                                            \
}

GL_INT_HELPERS(int8_t, i8, INT8_MIN)
GL_INT_HELPERS(int16_t, i16, INT16_MIN)
GL_INT_HELPERS(int32_t, i32, INT32_MIN)
GL_INT_HELPERS(int64_t, i64, INT64_MIN)
GL_INT_HELPERS(uint8_t, u8, 0)
GL_INT_HELPERS(uint16_t, u16, 0)
GL_INT_HELPERS(uint32_t, u32, 0)
GL_INT_HELPERS(uint64_t, u64, 0)

/* Python's float floor division and modulo (the sign of the divisor), as NumPy computes them */
#define GL_FLOAT_HELPERS(T, S, FMOD, FLOOR, COPYSIGN)                                      \
static inline T gl_mod_##S(T a, T b) {                                                   \
    if (b == 0) return FMOD(a, b);                                                       \
    T m = FMOD(a, b);                                                                    \
    if (m != 0) { if ((b < 0) != (m < 0)) m += b; }                                      \
    else m = COPYSIGN((T)0, b);                                                          \
    return m;                                                                            \
}                                                                                        \
static inline T gl_floordiv_##S(T a, T b) {                                              \
    if (b == 0) return a / b;                                                            \
    T m = FMOD(a, b);                                                                    \
    T d = (a - m) / b;                                                                   \
    if (m != 0 && ((b < 0) != (m < 0))) d -= 1;                                          \
    if (d != 0) { T f = FLOOR(d); if (d - f > (T)0.5) f += 1; return f; }                \
    return COPYSIGN((T)0, a / b);                                                        \
}
GL_FLOAT_HELPERS(double, f64, fmod, floor, copysign)
GL_FLOAT_HELPERS(float, f32, fmodf, floorf, copysignf)

static inline double gl_pow_f64(double a, double b) { return pow(a, b); }
static inline float gl_pow_f32(float a, float b) { return powf(a, b); }
static inline double gl_abs_f64(double a) { return fabs(a); }
static inline float gl_abs_f32(float a) { return fabsf(a); }
static inline gl_bool gl_abs_b(gl_bool a) { return a; }

#define GL_NUMBER_TYPES(NAME)                                                              \
    int8_t: NAME##_i8, int16_t: NAME##_i16, int32_t: NAME##_i32, long: NAME##_i64,        \
    long long: NAME##_i64, uint8_t: NAME##_u8, uint16_t: NAME##_u16, uint32_t: NAME##_u32, \
    unsigned long: NAME##_u64, unsigned long long: NAME##_u64, float: NAME##_f32,          \
    double: NAME##_f64
#define GL_DISPATCH(NAME, x) _Generic((x), GL_NUMBER_TYPES(NAME))
#define gl_floordiv(a, b) GL_DISPATCH(gl_floordiv, a)(a, b)
#define gl_mod(a, b) GL_DISPATCH(gl_mod, a)(a, b)
#define gl_pow(a, b) GL_DISPATCH(gl_pow, a)(a, b)  /* bool ** bool is int8, as in NumPy */
#define gl_abs(a) _Generic((a), gl_bool: gl_abs_b, GL_NUMBER_TYPES(gl_abs))(a)
#define gl_invert(a) _Generic((a), gl_bool: (gl_bool)!(a), default: ~(a))

/* A float converted to uint64 / uint32 (Cast) as NumPy's loops convert it: the compiler's plain
   conversion, built for the baseline instruction set. On x86-64 that goes through int64 (a
   negative value wraps, as -3.7 -> 2**64 - 3; from 2**63 up, x - 2**63 is converted and the top
   bit set), while -march=native on an AVX-512 machine would saturate instead. */
#if defined(__x86_64__) || defined(__i386__)
static inline uint64_t gl_f2u64(double x) {
    return x >= 9223372036854775808.0
        ? (uint64_t)(int64_t)(x - 9223372036854775808.0) ^ (UINT64_C(1) << 63)
        : (uint64_t)(int64_t)x;
}
static inline uint32_t gl_f2u32(double x) { return (uint32_t)(int64_t)x; }
#else
static inline uint64_t gl_f2u64(double x) { return (uint64_t)x; }
static inline uint32_t gl_f2u32(double x) { return (uint32_t)x; }
#endif

/* errors: the generated function returns nonzero after writing a message here */
#define GL_FAIL(...) do { snprintf(gl_err, 512, __VA_ARGS__); status = 1; goto done; } while (0)

/* Parallel parts. A large kernel is cut into parts whose boundaries depend only on its size, and
   gl_parallel runs them on the process's thread pool (pool.c, loaded by gl_bind_pool), or
   here in order when there is none: the results are the same either way. GL_PARTS(work) is the
   number of parts for `work` element operations: about GL_PART_WORK each, at most GL_MAX_PARTS. */
typedef void (*gl_task_fn)(void *ctx, int64_t part);
typedef void (*gl_pool_run_fn)(gl_task_fn fn, void *ctx, int64_t nparts);
static gl_pool_run_fn gl_pool_run_ptr;
int gl_bind_pool(const char *path) {  /* the pool's library: loaded once per process */
    void *library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    void *entry = library ? dlsym(library, "gl_pool_run") : NULL;
    if (entry) gl_pool_run_ptr = (gl_pool_run_fn)entry;
    return entry != NULL;
}
static void gl_parallel(gl_task_fn fn, void *ctx, int64_t nparts) {
    if (nparts > 1 && gl_pool_run_ptr) { gl_pool_run_ptr(fn, ctx, nparts); return; }
    for (int64_t p = 0; p < nparts; p++) fn(ctx, p);
}
#define GL_PART_WORK 65536
#define GL_MAX_PARTS 16
/* The elements [*lo, *hi) of part `part` of n: boundaries on multiples of `unit` (a power of 2). */
static inline void gl_part_range(int64_t n, int64_t part, int64_t nparts, int64_t unit,
                                 int64_t *lo, int64_t *hi) {
    *lo = part == 0 ? 0 : (n * part / nparts + unit - 1) & ~(unit - 1);
    *hi = part + 1 == nparts ? n : (n * (part + 1) / nparts + unit - 1) & ~(unit - 1);
    if (*hi > n) *hi = n;
    if (*lo > *hi) *lo = *hi;
}
static inline int64_t gl_parts(int64_t work) {
    int64_t p = work / GL_PART_WORK;
    return p < 1 ? 1 : p > GL_MAX_PARTS ? GL_MAX_PARTS : p;
}

/* y = be * x over a contiguous run (a copy when be is 1), in parts: the beta * z of Gemm/Gemv */
#define GL_SCALE(T, S)                                                                     \
struct gl_scale_##S { const T *x; T *y; T be; int64_t n, nparts; };                      \
static void gl_scale_task_##S(void *c, int64_t part) {                                   \
    const struct gl_scale_##S *k = c;                                                    \
    int64_t lo, hi;                                                                      \
    gl_part_range(k->n, part, k->nparts, 16, &lo, &hi);                                  \
    const T be = k->be, *x = k->x + lo;  /* y may be x: Gemm scaling z in place */      \
    T *y = k->y + lo;                                                                    \
    if (be == 1) { if (y != x) memcpy(y, x, (size_t)(hi - lo) * sizeof(T)); return; }    \
    for (int64_t i = 0; i < hi - lo; i++) y[i] = be * x[i];                              \
}
GL_SCALE(double, f64)
GL_SCALE(float, f32)

/* Intermediate buffers outlive a call: gl_give keeps up to GL_KEEP freed buffers, GL_KEEP_BYTES
   in all, in this module's slots, and gl_take reuses one that fits, so a function called in a
   loop does not map, fault in and unmap fresh pages for its intermediates every time. Slots are
   taken and returned by atomic exchange (calls from several threads are safe). Each buffer starts
   with a 64-byte header holding its capacity. */
#define GL_KEEP 16
#define GL_KEEP_BYTES ((int64_t)256 << 20)
static void *_Atomic gl_kept[GL_KEEP];
static _Atomic int64_t gl_kept_bytes;
static void *gl_take(int64_t bytes) {
    for (int i = 0; i < GL_KEEP; i++) {
        void *base = atomic_load_explicit(&gl_kept[i], memory_order_relaxed);
        if (base) {
            const int64_t capacity = *(int64_t *)base;
            if (capacity >= bytes && capacity <= 2 * bytes + 4096
                    && atomic_compare_exchange_strong(&gl_kept[i], &base, NULL)) {
                atomic_fetch_sub(&gl_kept_bytes, capacity);
                return (char *)base + 64;
            }
        }
    }
    char *base = malloc((size_t)bytes + 64);
    if (!base) return NULL;
    *(int64_t *)base = bytes;
    return base + 64;
}
static void gl_give(void *buffer) {
    if (!buffer) return;
    char *base = (char *)buffer - 64;
    const int64_t capacity = *(int64_t *)base;
    if (atomic_fetch_add(&gl_kept_bytes, capacity) + capacity <= GL_KEEP_BYTES)
        for (int i = 0; i < GL_KEEP; i++) {
            void *empty = NULL;
            if (atomic_compare_exchange_strong(&gl_kept[i], &empty, base)) return;
        }
    atomic_fetch_sub(&gl_kept_bytes, capacity);
    free(base);
}

/* n = a * b, failing on overflow */
static inline int gl_mul_size(int64_t a, int64_t b, int64_t *n) {
    return __builtin_mul_overflow(a, b, n);
}

/* Whether the bytes [a, a + bytes) and those of an r-d array (data p, lengths n, byte strides
   s, items of `item` bytes) are disjoint: what a shared variable's array, written in place, must
   be from every other input. */
static int gl_apart(const char *a, int64_t bytes, const char *p, int r, const int64_t *n,
                    const int64_t *s, int64_t item) {
    const char *lo = p, *hi = p + item;
    if (bytes == 0) return 1;
    for (int d = 0; d < r; d++) {
        if (n[d] == 0) return 1;
        const int64_t span = (n[d] - 1) * s[d];
        if (span < 0) lo += span; else hi += span;
    }
    return hi <= a || lo >= a + bytes;
}

/* "(2, 3)" for an error message */
static inline const char *gl_shape_str(char *buf, int nd, const int64_t *shape) {
    int pos = 0;
    pos += snprintf(buf + pos, 96 - pos, "(");
    for (int d = 0; d < nd && pos < 80; d++)
        pos += snprintf(buf + pos, 96 - pos, d + 1 < nd || nd > 1 ? "%lld, " : "%lld,",
                        (long long)shape[d]);
    if (nd > 1) pos -= 2;
    snprintf(buf + pos, 96 - pos, ")");
    return buf;
}

/* Matrix products C[m,n] = A[m,k] . B[k,n] with byte strides; C is C-contiguous. Vectors come in
   as 1-row or 1-column matrices. Float types go to BLAS when it is linked, copying an operand whose
   layout BLAS cannot take; everything else uses plain loops. */
#ifdef GL_HAVE_BLAS
enum { GL_ROW = 101, GL_NOTRANS = 111, GL_TRANS = 112 };
void scipy_cblas_dgemm64_(int, int, int, int64_t, int64_t, int64_t, double, const double *, int64_t,
                          const double *, int64_t, double, double *, int64_t);
void scipy_cblas_sgemm64_(int, int, int, int64_t, int64_t, int64_t, float, const float *, int64_t,
                          const float *, int64_t, float, float *, int64_t);
void scipy_cblas_dgemv64_(int, int, int64_t, int64_t, double, const double *, int64_t,
                          const double *, int64_t, double, double *, int64_t);
void scipy_cblas_sgemv64_(int, int, int64_t, int64_t, float, const float *, int64_t,
                          const float *, int64_t, float, float *, int64_t);
double scipy_cblas_ddot64_(int64_t, const double *, int64_t, const double *, int64_t);
float scipy_cblas_sdot64_(int64_t, const float *, int64_t, const float *, int64_t);

/* How BLAS can read a rows x cols operand: 0 = as is (ld), 1 = transposed (ld), -1 = copy it */
static inline int gl_blas_layout(int64_t rows, int64_t cols, int64_t s0, int64_t s1, int64_t item,
                                 int64_t *ld) {
    int64_t r = rows > 1 ? rows : 1, c = cols > 1 ? cols : 1;
    if ((cols <= 1 || s1 == item) && (rows <= 1 || (s0 > 0 && s0 % item == 0 && s0 / item >= c))) {
        *ld = rows <= 1 ? c : s0 / item;
        return 0;
    }
    if ((rows <= 1 || s0 == item) && (cols <= 1 || (s1 > 0 && s1 % item == 0 && s1 / item >= r))) {
        *ld = cols <= 1 ? r : s1 / item;
        return 1;
    }
    return -1;
}
#endif

#define GL_MATMUL_LOOP(T, NAME)                                                            \
static void NAME##_loop(int64_t m, int64_t n, int64_t k, const char *A, int64_t sa0,     \
                        int64_t sa1, const char *B, int64_t sb0, int64_t sb1, T alpha,    \
                        int accumulate, T *C) {                                           \
    if (!accumulate) for (int64_t i = 0; i < m * n; i++) C[i] = 0;                      \
    for (int64_t i = 0; i < m; i++)                                                      \
        for (int64_t p = 0; p < k; p++) {                                                \
            T a = alpha * *(const T *)(A + i * sa0 + p * sa1);                           \
            const char *b = B + p * sb0;                                                 \
            T *c = C + i * n;                                                            \
            if (sb1 == (int64_t)sizeof(T)) {                                             \
                const T *bb = (const T *)b;                                              \
                for (int64_t j = 0; j < n; j++) c[j] += a * bb[j];                       \
            } else                                                                       \
                for (int64_t j = 0; j < n; j++) c[j] += a * *(const T *)(b + j * sb1);   \
        }                                                                                \
}

#ifdef GL_HAVE_BLAS
#define GL_MATMUL_BLAS(T, NAME, GEMM, GEMV, DOT)                                           \
GL_MATMUL_LOOP(T, NAME)                                                                  \
static T *NAME##_pack(int64_t rows, int64_t cols, const char *X, int64_t s0, int64_t s1) { \
    T *out = (T *)malloc((size_t)(rows * cols) * sizeof(T) + sizeof(T));                 \
    if (!out) return NULL;                                                               \
    for (int64_t i = 0; i < rows; i++)                                                   \
        for (int64_t j = 0; j < cols; j++)                                               \
            out[i * cols + j] = *(const T *)(X + i * s0 + j * s1);                       \
    return out;                                                                          \
}                                                                                        \
static void NAME(int64_t m, int64_t n, int64_t k, const char *A, int64_t sa0, int64_t sa1, \
                 const char *B, int64_t sb0, int64_t sb1, T alpha, int accumulate, T *C) { \
    /* C = alpha * A.B, or C += alpha * A.B when accumulating (BLAS's beta = 1). It cannot \
       fail (an operand BLAS cannot read whose copy cannot be allocated goes to the loop), \
       so a product can write into a shared variable's array after nothing else may fail. */ \
    const int64_t item = sizeof(T);                                                      \
    const T beta = accumulate ? 1 : 0;                                                   \
    if (m == 0 || n == 0) return;                                                        \
    if (k == 0) { if (!accumulate) for (int64_t i = 0; i < m * n; i++) C[i] = 0; return; } \
    if (m * n * k < 512) {                                                               \
        NAME##_loop(m, n, k, A, sa0, sa1, B, sb0, sb1, alpha, accumulate, C);            \
        return;                                                                          \
    }                                                                                    \
    T *pa = NULL, *pb = NULL;                                                            \
    int64_t lda, ldb;                                                                    \
    int ta = gl_blas_layout(m, k, sa0, sa1, item, &lda);                                 \
    int tb = gl_blas_layout(k, n, sb0, sb1, item, &ldb);                                 \
    if ((ta < 0 && !(pa = NAME##_pack(m, k, A, sa0, sa1)))                               \
            || (tb < 0 && !(pb = NAME##_pack(k, n, B, sb0, sb1)))) {                     \
        free(pa);                                                                        \
        NAME##_loop(m, n, k, A, sa0, sa1, B, sb0, sb1, alpha, accumulate, C);            \
        return;                                                                          \
    }                                                                                    \
    if (pa) { A = (const char *)pa; ta = 0; lda = k; sa0 = k * item; sa1 = item; }       \
    if (pb) { B = (const char *)pb; tb = 0; ldb = n; sb0 = n * item; sb1 = item; }       \
    int64_t inca = k <= 1 ? 1 : sa1 / item, incb = k <= 1 ? 1 : sb0 / item;              \
    if (m == 1 && n == 1) {                                                              \
        C[0] = beta * C[0] + alpha * DOT(k, (const T *)A, inca, (const T *)B, incb);     \
    } else if (n == 1) {                                                                 \
        if (ta == 0) GEMV(GL_ROW, GL_NOTRANS, m, k, alpha, (const T *)A, lda,            \
                          (const T *)B, incb, beta, C, 1);                               \
        else GEMV(GL_ROW, GL_TRANS, k, m, alpha, (const T *)A, lda, (const T *)B, incb,  \
                  beta, C, 1);                                                           \
    } else if (m == 1) {                                                                 \
        if (tb == 0) GEMV(GL_ROW, GL_TRANS, k, n, alpha, (const T *)B, ldb,              \
                          (const T *)A, inca, beta, C, 1);                               \
        else GEMV(GL_ROW, GL_NOTRANS, n, k, alpha, (const T *)B, ldb, (const T *)A, inca, \
                  beta, C, 1);                                                           \
    } else {                                                                             \
        GEMM(GL_ROW, ta ? GL_TRANS : GL_NOTRANS, tb ? GL_TRANS : GL_NOTRANS, m, n, k,     \
             alpha, (const T *)A, lda, (const T *)B, ldb, beta, C, n);                   \
    }                                                                                    \
    free(pa); free(pb);                                                                  \
}
GL_MATMUL_BLAS(double, gl_matmul_f64, scipy_cblas_dgemm64_, scipy_cblas_dgemv64_, scipy_cblas_ddot64_)
GL_MATMUL_BLAS(float, gl_matmul_f32, scipy_cblas_sgemm64_, scipy_cblas_sgemv64_, scipy_cblas_sdot64_)
#else
GL_MATMUL_LOOP(double, gl_matmul_f64)
GL_MATMUL_LOOP(float, gl_matmul_f32)
#define gl_matmul_f64 gl_matmul_f64_loop
#define gl_matmul_f32 gl_matmul_f32_loop
#endif

/* DotMapGemv's two passes over a block of rows of X (byte strides s0, s1), run back to back so
   that the second reads the block from cache: d = X.w, then r += X^T g. Eight rows at a time,
   then four, in vectors (independent sums, so that loads, not add latency, set the pace; each
   load of w or of the accumulator serves every row) when X's rows and w are contiguous; plain
   loops otherwise. */
#define GL_ROW_BLOCK 32
#define GL_ROWS(T, S)                                                                      \
typedef T gl_vec_##S __attribute__((vector_size(32)));                                   \
enum { GL_LANES_##S = 32 / sizeof(T) };                                                  \
static inline gl_vec_##S gl_load_##S(const T *p) {                                       \
    gl_vec_##S v; memcpy(&v, p, sizeof v); return v;                                     \
}                                                                                        \
static inline T gl_hsum_##S(gl_vec_##S v) {                                              \
    T s = 0; for (int l = 0; l < GL_LANES_##S; l++) s += v[l]; return s;                 \
}                                                                                        \
static void gl_rows_dot_##S(int64_t nr, int64_t k, const char *X, int64_t s0, int64_t s1, \
                            const char *w, int64_t sw, T *d) {                           \
    int64_t r = 0;                                                                       \
    if (s1 == (int64_t)sizeof(T) && sw == (int64_t)sizeof(T)) {                          \
        const T *q = (const T *)w;                                                       \
        const int64_t kv = k - k % GL_LANES_##S;                                         \
        for (; r + 8 <= nr; r += 8) {  /* each row's sum in the same order as below */    \
            const T *x0 = (const T *)(X + r * s0);                                       \
            gl_vec_##S a[8] = {{0}};                                                     \
            for (int64_t j = 0; j < kv; j += GL_LANES_##S) {                             \
                gl_vec_##S wv = gl_load_##S(q + j);                                      \
                _Pragma("GCC unroll 8")                                                  \
                for (int i = 0; i < 8; i++)                                              \
                    a[i] += gl_load_##S((const T *)((const char *)x0 + i * s0) + j) * wv; \
            }                                                                            \
            for (int i = 0; i < 8; i++) {                                                \
                const T *xi = (const T *)((const char *)x0 + i * s0);                    \
                T t = gl_hsum_##S(a[i]);                                                 \
                for (int64_t j = kv; j < k; j++) t += xi[j] * q[j];                      \
                d[r + i] = t;                                                            \
            }                                                                            \
        }                                                                                \
        for (; r + 4 <= nr; r += 4) {                                                    \
            const T *x0 = (const T *)(X + r * s0), *x1 = (const T *)(X + (r + 1) * s0);  \
            const T *x2 = (const T *)(X + (r + 2) * s0), *x3 = (const T *)(X + (r + 3) * s0); \
            gl_vec_##S a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};                           \
            for (int64_t j = 0; j < kv; j += GL_LANES_##S) {                             \
                gl_vec_##S wv = gl_load_##S(q + j);                                      \
                a0 += gl_load_##S(x0 + j) * wv; a1 += gl_load_##S(x1 + j) * wv;          \
                a2 += gl_load_##S(x2 + j) * wv; a3 += gl_load_##S(x3 + j) * wv;          \
            }                                                                            \
            T t0 = gl_hsum_##S(a0), t1 = gl_hsum_##S(a1), t2 = gl_hsum_##S(a2),         \
              t3 = gl_hsum_##S(a3);                                                      \
            for (int64_t j = kv; j < k; j++) {                                           \
                t0 += x0[j] * q[j]; t1 += x1[j] * q[j]; t2 += x2[j] * q[j]; t3 += x3[j] * q[j]; \
            }                                                                            \
            d[r] = t0; d[r + 1] = t1; d[r + 2] = t2; d[r + 3] = t3;                      \
        }                                                                                \
    }                                                                                    \
    for (; r < nr; r++) {                                                                \
        T t = 0;                                                                         \
        int64_t j = 0;                                                                   \
        if (s1 == (int64_t)sizeof(T) && sw == (int64_t)sizeof(T)) {                      \
            const T *x = (const T *)(X + r * s0), *q = (const T *)w;                     \
            gl_vec_##S a0 = {0}, a1 = {0};                                               \
            for (; j + 2 * GL_LANES_##S <= k; j += 2 * GL_LANES_##S) {                   \
                a0 += gl_load_##S(x + j) * gl_load_##S(q + j);                           \
                a1 += gl_load_##S(x + j + GL_LANES_##S) * gl_load_##S(q + j + GL_LANES_##S); \
            }                                                                            \
            t = gl_hsum_##S(a0 + a1);                                                    \
        }                                                                                \
        for (; j < k; j++) t += *(const T *)(X + r * s0 + j * s1) * *(const T *)(w + j * sw); \
        d[r] = t;                                                                        \
    }                                                                                    \
}                                                                                        \
static void gl_rows_axpy_##S(int64_t nr, int64_t k, const char *X, int64_t s0, int64_t s1, \
                             const T *g, T *acc) {                                       \
    int64_t r = 0;                                                                       \
    if (s1 == (int64_t)sizeof(T)) {                                                      \
        for (; r + 8 <= nr; r += 8) {                                                    \
            const T *x0 = (const T *)(X + r * s0), *x1 = (const T *)(X + (r + 1) * s0);  \
            const T *x2 = (const T *)(X + (r + 2) * s0), *x3 = (const T *)(X + (r + 3) * s0); \
            const T *x4 = (const T *)(X + (r + 4) * s0), *x5 = (const T *)(X + (r + 5) * s0); \
            const T *x6 = (const T *)(X + (r + 6) * s0), *x7 = (const T *)(X + (r + 7) * s0); \
            const T g0 = g[r], g1 = g[r + 1], g2 = g[r + 2], g3 = g[r + 3];             \
            const T g4 = g[r + 4], g5 = g[r + 5], g6 = g[r + 6], g7 = g[r + 7];         \
            int64_t j = 0;                                                               \
            for (; j + GL_LANES_##S <= k; j += GL_LANES_##S) {                           \
                gl_vec_##S u = ((g0 * gl_load_##S(x0 + j) + g1 * gl_load_##S(x1 + j))    \
                             + (g2 * gl_load_##S(x2 + j) + g3 * gl_load_##S(x3 + j)))    \
                             + ((g4 * gl_load_##S(x4 + j) + g5 * gl_load_##S(x5 + j))   \
                             + (g6 * gl_load_##S(x6 + j) + g7 * gl_load_##S(x7 + j)));  \
                u += gl_load_##S(acc + j);                                               \
                memcpy(acc + j, &u, sizeof u);                                           \
            }                                                                            \
            for (; j < k; j++)                                                           \
                acc[j] += ((g0 * x0[j] + g1 * x1[j]) + (g2 * x2[j] + g3 * x3[j]))       \
                        + ((g4 * x4[j] + g5 * x5[j]) + (g6 * x6[j] + g7 * x7[j]));      \
        }                                                                                \
        for (; r + 4 <= nr; r += 4) {                                                    \
            const T *x0 = (const T *)(X + r * s0), *x1 = (const T *)(X + (r + 1) * s0);  \
            const T *x2 = (const T *)(X + (r + 2) * s0), *x3 = (const T *)(X + (r + 3) * s0); \
            const T g0 = g[r], g1 = g[r + 1], g2 = g[r + 2], g3 = g[r + 3];             \
            int64_t j = 0;                                                               \
            for (; j + GL_LANES_##S <= k; j += GL_LANES_##S) {                           \
                gl_vec_##S u = (g0 * gl_load_##S(x0 + j) + g1 * gl_load_##S(x1 + j))     \
                             + (g2 * gl_load_##S(x2 + j) + g3 * gl_load_##S(x3 + j));    \
                u += gl_load_##S(acc + j);                                               \
                memcpy(acc + j, &u, sizeof u);                                           \
            }                                                                            \
            for (; j < k; j++)                                                           \
                acc[j] += (g0 * x0[j] + g1 * x1[j]) + (g2 * x2[j] + g3 * x3[j]);         \
        }                                                                                \
    }                                                                                    \
    for (; r < nr; r++) {                                                                \
        const T gr = g[r];                                                               \
        if (s1 == (int64_t)sizeof(T)) {                                                  \
            const T *x = (const T *)(X + r * s0);                                        \
            for (int64_t j = 0; j < k; j++) acc[j] += gr * x[j];                         \
        } else {                                                                         \
            for (int64_t j = 0; j < k; j++) acc[j] += gr * *(const T *)(X + r * s0 + j * s1); \
        }                                                                                \
    }                                                                                    \
}
/* acc[j] += acc[p * k + j] for the parts p = 1, 2, ... in order: the parts' accumulators summed
   into the first, each column in part order (so the sum does not depend on the threads). A
   function of its own, so that it is vectorized. */
#define GL_PARTS_SUM(T, S)                                                                 \
static __attribute__((noinline)) void gl_parts_sum_##S(int64_t k, int64_t nparts, T *acc) { \
    for (int64_t p = 1; p < nparts; p++) {                                               \
        const T *part = acc + p * k;                                                     \
        for (int64_t j = 0; j < k; j++) acc[j] += part[j];                               \
    }                                                                                    \
}
GL_ROWS(double, f64)
GL_ROWS(float, f32)
GL_PARTS_SUM(double, f64)
GL_PARTS_SUM(float, f32)

/* max / min of a contiguous float run, NaN-propagating as gl_max / gl_min. With AVX, the max/min
   instructions (through GCC's builtins: <immintrin.h> alone would add 0.2 s to every compile),
   which do not propagate NaN, plus a separate "saw a NaN" mask; else a plain loop. */
#if defined(__AVX__) && defined(__GNUC__) && !defined(__clang__)
#define GL_MINMAX_RUN(T, S, I, KIND, START, OP)                                            \
static T gl_##KIND##_run_##S(const T *x, int64_t n) {                                    \
    typedef I mask __attribute__((vector_size(32)));                                     \
    enum { L = 32 / sizeof(T) };                                                         \
    T r = START;                                                                         \
    int64_t i = 0;                                                                       \
    if (n >= 4 * L) {                                                                    \
        gl_vec_##S a = gl_load_##S(x), b = gl_load_##S(x + L), c = gl_load_##S(x + 2 * L), \
                   d = gl_load_##S(x + 3 * L);                                           \
        mask bad = (a != a) | (b != b) | (c != c) | (d != d);                            \
        for (i = 4 * L; i + 4 * L <= n; i += 4 * L) {                                    \
            gl_vec_##S u = gl_load_##S(x + i), v = gl_load_##S(x + i + L),               \
                       w = gl_load_##S(x + i + 2 * L), z = gl_load_##S(x + i + 3 * L);    \
            a = OP(a, u); b = OP(b, v); c = OP(c, w); d = OP(d, z);                      \
            bad |= (u != u) | (v != v) | (w != w) | (z != z);                            \
        }                                                                                \
        for (int l = 0; l < L; l++) if (bad[l]) return (T)NAN;                           \
        a = OP(OP(a, b), OP(c, d));                                                      \
        for (int l = 0; l < L; l++) r = gl_##KIND(r, a[l]);                              \
    }                                                                                    \
    for (; i < n; i++) r = gl_##KIND(r, x[i]);                                           \
    return r;                                                                            \
}
GL_MINMAX_RUN(double, f64, int64_t, max, -INFINITY, __builtin_ia32_maxpd256)
GL_MINMAX_RUN(double, f64, int64_t, min, INFINITY, __builtin_ia32_minpd256)
GL_MINMAX_RUN(float, f32, int32_t, max, -INFINITY, __builtin_ia32_maxps256)
GL_MINMAX_RUN(float, f32, int32_t, min, INFINITY, __builtin_ia32_minps256)
#else
#define GL_MINMAX_LOOP(T, S, KIND, START)                                                  \
static T gl_##KIND##_run_##S(const T *x, int64_t n) {                                    \
    T r = START;                                                                         \
    for (int64_t i = 0; i < n; i++) r = gl_##KIND(r, x[i]);                              \
    return r;                                                                            \
}
GL_MINMAX_LOOP(double, f64, max, -INFINITY)
GL_MINMAX_LOOP(double, f64, min, INFINITY)
GL_MINMAX_LOOP(float, f32, max, -INFINITY)
GL_MINMAX_LOOP(float, f32, min, INFINITY)
#endif

/* Special functions (tensor/scalar_special.py computes each by the same steps in NumPy). */
#define gl_atan2(y, x) _Generic((y), float: atan2f, default: atan2)(y, x)  /* as NumPy's loops */
/* log|gamma(x)| as scipy.special.gammaln (-inf at -inf); lgamma_r, since lgamma writes the
   global signgam, which parts of a loop run on the thread pool would race on */
static inline double gl_lgamma(double x) { int sign; return x == -INFINITY ? x : lgamma_r(x, &sign); }
#define GL_PI 3.141592653589793
#define GL_SERIES(z, c0, c1, c2, c3, c4, c5, c6) \
    ((c0) - (z) * ((c1) - (z) * ((c2) - (z) * ((c3) - (z) * ((c4) - (z) * ((c5) - (z) * (c6)))))))
/* digamma: reflection below 0 (on x's distance to the nearest integer, exact), the recurrence up
   to 10, then the asymptotic series; as scipy.special.psi at 0, -0 and the poles */
static double gl_psi(double x) {
    if (x != x || x == INFINITY) return x;
    if (x == 0) return copysign(INFINITY, -x);
    if (x < 0 && x == floor(x)) return NAN;
    double out = 0;
    if (x < 0) { out = -GL_PI / tan(GL_PI * (x - nearbyint(x))); x = 1 - x; }
    while (x < 10) { out = out - 1 / x; x = x + 1; }
    const double z = 1 / (x * x);
    return out + log(x) - 0.5 / x - z * GL_SERIES(z, 1.0 / 12, 1.0 / 120, 1.0 / 252, 1.0 / 240,
                                                  1.0 / 132, 691.0 / 32760, 1.0 / 12);
}
/* trigamma = polygamma(1, x): the same steps, +inf at the poles and -inf, 0 at +inf */
static double gl_trigamma(double x) {
    if (x != x) return x;
    if (x == INFINITY) return 0;
    if (x <= 0 && x == floor(x)) return INFINITY;
    double head = 0, sign = 1, acc = 0;
    if (x < 0) {
        const double s = sin(GL_PI * (x - nearbyint(x)));
        head = GL_PI * GL_PI / (s * s); sign = -1; x = 1 - x;
    }
    while (x < 10) { acc = acc + 1 / (x * x); x = x + 1; }
    const double z = 1 / (x * x);
    const double tail = 1 / x + 0.5 * z + (1 / x) * z * GL_SERIES(z, 1.0 / 6, 1.0 / 30, 1.0 / 42,
                                                                  1.0 / 30, 5.0 / 66,
                                                                  691.0 / 2730, 7.0 / 6);
    return head + sign * (acc + tail);
}
/* Theano's ultra_fast_sigmoid, in the argument's precision (constants rounded to it) */
#define GL_UFSIGMOID(T, S)                                                                  \
static inline T gl_ufsigmoid_##S(T x) {                                                  \
    if (x != x) return x;                                                                \
    const T h = (T)0.5 * x, u = h < 0 ? -h : h;                                          \
    T z = u < (T)1.7 ? (T)1.5 * u / ((T)1 + u)                                           \
        : (u < (T)3.0 ? (T)0.935409070603099 + (T)0.0458812946797165 * (u - (T)1.7)      \
                      : (T)0.99505475368673);                                            \
    if (x < 0) z = -z;                                                                   \
    return (T)0.5 * z + (T)0.5;                                                          \
}
GL_UFSIGMOID(double, d)
GL_UFSIGMOID(float, f)
#define gl_ufsigmoid(x) _Generic((x), float: gl_ufsigmoid_f, default: gl_ufsigmoid_d)(x)
