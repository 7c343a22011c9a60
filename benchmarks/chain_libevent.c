/* Chain benchmark, C libevent version.
 *
 * N socketpairs, each read end watched by a persistent read event.  A bytes
 * are injected into A pipes spread evenly over the N; every read callback
 * reads its byte and, while the write budget lasts, writes one byte into the
 * next pair (wrapping).  The loop is timed from the first dispatch until every
 * injected and forwarded byte has been read, then broken.  Prints one JSON line.
 */
#include <event2/event.h>
#include <stdint.h>
#include <unistd.h>

#include "bench_util.h"

static int npipes, nactive, nwrites, nrounds;
static int *rfd, *wfd;
static long reads_done, writes_left, target, failures;
static struct event_base *base;

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    long idx = (long)(intptr_t)arg;
    char c;
    (void)what;
    if (read(fd, &c, 1) == 1)
        reads_done++;
    else
        failures++;
    if (writes_left > 0) {
        long next = idx + 1;
        if (next == npipes)
            next = 0;
        if (write(wfd[next], "x", 1) != 1)
            failures++;
        writes_left--;
    }
    if (reads_done == target)
        event_base_loopbreak(base);
}

int main(int argc, char **argv)
{
    struct chain_opts o;
    int i, r, space;
    struct event **evs;
    double *samples;

    if (chain_parse_args(argc, argv, &o) != 0)
        return 2;
    npipes = o.npipes;
    nactive = o.nactive;
    nwrites = o.nwrites;
    nrounds = o.nrounds;
    evs = calloc((size_t)npipes, sizeof(*evs));
    samples = calloc((size_t)nrounds, sizeof(double));
    if (!evs || !samples) { perror("calloc"); return 1; }

    base = event_base_new();
    if (!base) { fprintf(stderr, "event_base_new failed\n"); return 1; }
    if (chain_open_pairs(npipes, &rfd, &wfd) != 0)
        return 1;
    for (i = 0; i < npipes; i++) {
        evs[i] = event_new(base, rfd[i], EV_READ | EV_PERSIST, on_read, (void *)(intptr_t)i);
        if (!evs[i] || event_add(evs[i], NULL) != 0) { fprintf(stderr, "event_add failed\n"); return 1; }
    }
    space = npipes / nactive;

    /* round -1 is an untimed warm-up */
    for (r = -1; r < nrounds; r++) {
        int64_t t0, t1;
        reads_done = 0;
        writes_left = nwrites;
        target = (long)nactive + nwrites;
        for (i = 0; i < nactive; i++)
            if (write(wfd[i * space], "x", 1) != 1)
                failures++;
        t0 = now_ns();
        event_base_dispatch(base);
        t1 = now_ns();
        if (reads_done != target || failures) {
            fprintf(stderr, "chain: reads %ld of %ld, failures %ld\n", reads_done, target, failures);
            return 1;
        }
        if (r >= 0)
            samples[r] = (double)(t1 - t0) / (double)target;
    }

    chain_print_result("libevent", &o, samples);
    printf(", \"backend\": \"%s\", \"libevent_version\": \"%s\"}\n",
           event_base_get_method(base), event_get_version());

    for (i = 0; i < npipes; i++)
        event_free(evs[i]);
    chain_close_pairs(npipes, rfd, wfd);
    event_base_free(base);
    free(evs);
    free(samples);
    return 0;
}
