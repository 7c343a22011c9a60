/* Small helpers shared by the C benchmark programs (header-only). */
#ifndef FDEVENT_BENCH_UTIL_H
#define FDEVENT_BENCH_UTIL_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static inline int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Raise the soft open-file limit to the hard one; returns the new soft limit. */
static inline long raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
        (void)getrlimit(RLIMIT_NOFILE, &rl);
    }
    return (long)rl.rlim_cur;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of n doubles (sorts a copy). */
static inline double median_d(const double *v, int n)
{
    double *c;
    double m;
    if (n <= 0)
        return 0.0;
    c = malloc(sizeof(double) * (size_t)n);
    if (!c)
        return v[0];
    memcpy(c, v, sizeof(double) * (size_t)n);
    qsort(c, (size_t)n, sizeof(double), cmp_double);
    m = (n % 2) ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2.0;
    free(c);
    return m;
}

/* Parse "--name value" integer options; exits on a malformed value. */
static inline long arg_long(const char *name, const char *val)
{
    char *end = NULL;
    long v;
    errno = 0;
    v = strtol(val, &end, 10);
    if (errno || !end || *end) {
        fprintf(stderr, "bad value for %s: %s\n", name, val);
        exit(2);
    }
    return v;
}

static inline double arg_double(const char *name, const char *val)
{
    char *end = NULL;
    double v;
    errno = 0;
    v = strtod(val, &end);
    if (errno || !end || *end) {
        fprintf(stderr, "bad value for %s: %s\n", name, val);
        exit(2);
    }
    return v;
}

/* The delay generator shared with the Python timer benchmarks: a 64-bit LCG
 * (Knuth's MMIX constants); delay i in microseconds is (x >> 33) % 1000000. */
static inline uint64_t lcg_next(uint64_t *x)
{
    *x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
    return *x;
}

#endif
