/* Small helpers shared by the C benchmark programs (header-only). */
#ifndef FDEVENT_BENCH_UTIL_H
#define FDEVENT_BENCH_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

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

/* ---- the chain benchmarks (chain_floor.c, chain_libevent.c) ---- */

struct chain_opts {
    int npipes, nactive, nwrites, nrounds;
};

/* Parse --pipes --active --writes --rounds (defaults 100, 100, 100000, 5), check the
 * sizes, and raise the open-file limit for the socketpairs.  Returns 0, or 2 (the exit
 * status) after saying why on stderr. */
static inline int chain_parse_args(int argc, char **argv, struct chain_opts *o)
{
    int i;
    long limit = raise_nofile();

    o->npipes = 100;
    o->nactive = 100;
    o->nwrites = 100000;
    o->nrounds = 5;
    for (i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--pipes")) o->npipes = (int)arg_long(argv[i], argv[i + 1]);
        else if (!strcmp(argv[i], "--active")) o->nactive = (int)arg_long(argv[i], argv[i + 1]);
        else if (!strcmp(argv[i], "--writes")) o->nwrites = (int)arg_long(argv[i], argv[i + 1]);
        else if (!strcmp(argv[i], "--rounds")) o->nrounds = (int)arg_long(argv[i], argv[i + 1]);
        else { fprintf(stderr, "unknown option %s\n", argv[i]); return 2; }
    }
    if (o->npipes < 1 || o->nactive < 1 || o->nactive > o->npipes || o->nrounds < 1 ||
        o->nwrites < 0) {
        fprintf(stderr, "bad sizes\n");
        return 2;
    }
    if ((long)o->npipes * 2 + 16 > limit) {
        fprintf(stderr, "open-file limit %ld too low for %d socketpairs\n", limit, o->npipes);
        return 2;
    }
    return 0;
}

/* Open n non-blocking AF_UNIX socketpairs into new arrays *rfd (read ends) and *wfd
 * (write ends).  Returns 0, or -1 after saying why on stderr. */
static inline int chain_open_pairs(int n, int **rfd, int **wfd)
{
    int i;
    *rfd = calloc((size_t)n, sizeof(int));
    *wfd = calloc((size_t)n, sizeof(int));
    if (!*rfd || !*wfd) { perror("calloc"); return -1; }
    for (i = 0; i < n; i++) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) { perror("socketpair"); return -1; }
        fcntl(sv[0], F_SETFL, O_NONBLOCK);
        fcntl(sv[1], F_SETFL, O_NONBLOCK);
        (*rfd)[i] = sv[0];
        (*wfd)[i] = sv[1];
    }
    return 0;
}

/* Close the n socketpairs and free the arrays chain_open_pairs made. */
static inline void chain_close_pairs(int n, int *rfd, int *wfd)
{
    int i;
    for (i = 0; i < n; i++) {
        close(rfd[i]);
        close(wfd[i]);
    }
    free(rfd);
    free(wfd);
}

/* Print the chain result's common fields, up to and including the samples list; the
 * caller adds any more fields and the closing brace. */
static inline void chain_print_result(const char *impl, const struct chain_opts *o,
                                      const double *samples)
{
    int r;
    printf("{\"bench\": \"chain\", \"impl\": \"%s\", \"pipes\": %d, \"active\": %d, "
           "\"writes\": %d, \"events_per_round\": %ld, \"rounds\": %d, \"ns_per_event\": %.1f, "
           "\"samples_ns_per_event\": [", impl, o->npipes, o->nactive, o->nwrites,
           (long)o->nactive + o->nwrites, o->nrounds, median_d(samples, o->nrounds));
    for (r = 0; r < o->nrounds; r++)
        printf("%s%.1f", r ? ", " : "", samples[r]);
    printf("]");
}

#endif
