/* graphlab's thread pool: one per process, shared by every compiled function.

   A compiled function splits a large kernel into parts whose boundaries depend only on the
   problem's size (never on the number of threads), and calls gl_pool_run(fn, ctx, nparts): the
   calling thread and the pool's workers then claim parts one at a time until none is left, and the
   call returns when all have finished. As each part writes only its own outputs (a reduction gives
   each part its own accumulator, summed in part order afterwards), results are the same bit for
   bit whichever thread ran which part, with one thread or many.

   The current region is published as one 64-bit word: generation (24 bits), number of parts
   (20 bits) and next unclaimed part (20 bits). A thread claims a part by compare-and-swap on that
   word, so a claim is valid only for the region it was read from; a region ends only when every
   part has finished, so fn and ctx stay valid while any claimed part runs.

   Workers spin for a short while after a region (a training loop calls again within
   microseconds), then sleep on a condition variable. GRAPHLAB_NUM_THREADS sets the number of
   threads (the caller included; 1 runs everything on the caller); by default, the CPUs this
   process may run on, at most 16. One region runs at a time: a second thread calling meanwhile
   runs its parts itself. After fork() the child starts with a fresh pool (its workers did not
   survive the fork). */

#define _GNU_SOURCE  /* sched_getaffinity, CPU_COUNT */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

typedef void (*gl_task_fn)(void *ctx, int64_t part);

#define GL_POOL_MAX 16
#define GL_PART_BITS 20
#define GL_PART_MASK ((UINT64_C(1) << GL_PART_BITS) - 1)
#define GL_SPIN_NS 200000  /* how long an idle worker spins before it sleeps */

static struct {
    pthread_mutex_t lock;            /* guards sleeping and waking */
    pthread_cond_t wake;
    pthread_mutex_t caller;          /* held by the thread running a region */
    _Atomic uint64_t word;           /* generation | nparts | next */
    _Atomic int64_t done;            /* parts finished in the current region */
    _Atomic int sleepers;
    gl_task_fn fn;
    void *ctx;
    _Atomic int threads;             /* 0: not started; 1: no workers */
} gl_pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_MUTEX_INITIALIZER};

static pthread_mutex_t gl_pool_start_lock = PTHREAD_MUTEX_INITIALIZER;

static inline void gl_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static int64_t gl_now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static inline int gl_claimable(uint64_t w) {
    return (w & GL_PART_MASK) < ((w >> GL_PART_BITS) & GL_PART_MASK);
}

/* Claim and run parts of the current region until none is left. */
static void gl_pool_work(void) {
    uint64_t w = atomic_load(&gl_pool.word);
    while (gl_claimable(w)) {
        if (atomic_compare_exchange_weak(&gl_pool.word, &w, w + 1)) {
            gl_pool.fn(gl_pool.ctx, (int64_t)(w & GL_PART_MASK));
            atomic_fetch_add(&gl_pool.done, 1);
            w = atomic_load(&gl_pool.word);
        }
    }
}

static void *gl_pool_worker(void *unused) {
    (void)unused;
    for (;;) {
        int64_t since = gl_now_ns();
        for (unsigned spins = 1; !gl_claimable(atomic_load(&gl_pool.word)); spins++) {
            gl_relax();
            if (spins % 64 == 0) {
                if (gl_now_ns() - since < GL_SPIN_NS) {
                    sched_yield();  /* let a runnable thread (BLAS's, say) have this core */
                    continue;
                }
                pthread_mutex_lock(&gl_pool.lock);
                atomic_fetch_add(&gl_pool.sleepers, 1);
                while (!gl_claimable(atomic_load(&gl_pool.word)))
                    pthread_cond_wait(&gl_pool.wake, &gl_pool.lock);
                atomic_fetch_sub(&gl_pool.sleepers, 1);
                pthread_mutex_unlock(&gl_pool.lock);
                break;
            }
        }
        gl_pool_work();
    }
    return NULL;
}

static int gl_pool_default_threads(void) {
    const char *env = getenv("GRAPHLAB_NUM_THREADS");
    if (env && *env) {
        long n = strtol(env, NULL, 10);
        return n < 1 ? 1 : n > GL_POOL_MAX ? GL_POOL_MAX : (int)n;
    }
    int n = 1;
#ifdef __linux__
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) n = CPU_COUNT(&set);
#endif
    return n < 1 ? 1 : n > GL_POOL_MAX ? GL_POOL_MAX : n;
}

/* In a forked child the workers are gone and the locks may be held by threads that no longer
   exist: start over. */
static void gl_pool_after_fork(void) {
    pthread_mutex_init(&gl_pool.lock, NULL);
    pthread_cond_init(&gl_pool.wake, NULL);
    pthread_mutex_init(&gl_pool.caller, NULL);
    pthread_mutex_init(&gl_pool_start_lock, NULL);
    atomic_store(&gl_pool.word, 0);
    atomic_store(&gl_pool.done, 0);
    atomic_store(&gl_pool.sleepers, 0);
    gl_pool.threads = 0;
}

static void gl_pool_start(void) {
    static int registered;
    pthread_mutex_lock(&gl_pool_start_lock);
    if (!gl_pool.threads) {
        if (!registered) {
            pthread_atfork(NULL, NULL, gl_pool_after_fork);
            registered = 1;
        }
        int wanted = gl_pool_default_threads(), threads = 1;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, 1 << 20);
        for (; threads < wanted; threads++) {
            pthread_t t;
            if (pthread_create(&t, &attr, gl_pool_worker, NULL) != 0) break;
        }
        pthread_attr_destroy(&attr);
        gl_pool.threads = threads;
    }
    pthread_mutex_unlock(&gl_pool_start_lock);
}

void gl_pool_run(gl_task_fn fn, void *ctx, int64_t nparts) {
    if (nparts < 2 || nparts > (int64_t)GL_PART_MASK) {
        for (int64_t p = 0; p < nparts; p++) fn(ctx, p);
        return;
    }
    if (!gl_pool.threads) gl_pool_start();
    if (gl_pool.threads == 1 || pthread_mutex_trylock(&gl_pool.caller) != 0) {
        for (int64_t p = 0; p < nparts; p++) fn(ctx, p);  /* no workers, or the pool is busy */
        return;
    }
    gl_pool.fn = fn;
    gl_pool.ctx = ctx;
    atomic_store(&gl_pool.done, 0);
    uint64_t generation = (atomic_load(&gl_pool.word) >> (2 * GL_PART_BITS)) + 1;
    atomic_store(&gl_pool.word, (generation << (2 * GL_PART_BITS))
                                | ((uint64_t)nparts << GL_PART_BITS));
    if (atomic_load(&gl_pool.sleepers) > 0) {
        pthread_mutex_lock(&gl_pool.lock);
        pthread_cond_broadcast(&gl_pool.wake);
        pthread_mutex_unlock(&gl_pool.lock);
    }
    gl_pool_work();
    for (unsigned spins = 1; atomic_load(&gl_pool.done) < nparts; spins++) {
        gl_relax();
        if (spins % 256 == 0) sched_yield();  /* a worker running a part may need this core */
    }
    pthread_mutex_unlock(&gl_pool.caller);
}

/* The number of threads (starting the pool); the Python side reports it. */
int gl_pool_threads(void) {
    if (!gl_pool.threads) gl_pool_start();
    return gl_pool.threads;
}
