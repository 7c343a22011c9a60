/* Chain benchmark, C libevent version.
 *
 * N socketpairs, each read end watched by a persistent read event.  A bytes
 * are injected into A pipes spread evenly over the N; every read callback
 * reads its byte and, while the write budget lasts, writes one byte into the
 * next pair (wrapping).  The loop is timed from the first dispatch until every
 * injected and forwarded byte has been read, then broken.  Prints one JSON line.
 */
#include <event2/event.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_util.h"

static int npipes = 100, nactive = 100, nwrites = 100000, nrounds = 5;
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
    int i, r, space;
    struct event **evs;
    double *samples;
    long limit = raise_nofile();

    for (i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--pipes")) npipes = (int)arg_long(argv[i], argv[i + 1]);
        else if (!strcmp(argv[i], "--active")) nactive = (int)arg_long(argv[i], argv[i + 1]);
        else if (!strcmp(argv[i], "--writes")) nwrites = (int)arg_long(argv[i], argv[i + 1]);
        else if (!strcmp(argv[i], "--rounds")) nrounds = (int)arg_long(argv[i], argv[i + 1]);
        else { fprintf(stderr, "unknown option %s\n", argv[i]); return 2; }
    }
    if (npipes < 1 || nactive < 1 || nactive > npipes || nrounds < 1 || nwrites < 0) {
        fprintf(stderr, "bad sizes\n");
        return 2;
    }
    if ((long)npipes * 2 + 16 > limit) {
        fprintf(stderr, "open-file limit %ld too low for %d socketpairs\n", limit, npipes);
        return 2;
    }
    rfd = calloc((size_t)npipes, sizeof(int));
    wfd = calloc((size_t)npipes, sizeof(int));
    evs = calloc((size_t)npipes, sizeof(*evs));
    samples = calloc((size_t)nrounds, sizeof(double));
    if (!rfd || !wfd || !evs || !samples) { perror("calloc"); return 1; }

    base = event_base_new();
    if (!base) { fprintf(stderr, "event_base_new failed\n"); return 1; }
    for (i = 0; i < npipes; i++) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) { perror("socketpair"); return 1; }
        fcntl(sv[0], F_SETFL, O_NONBLOCK);
        fcntl(sv[1], F_SETFL, O_NONBLOCK);
        rfd[i] = sv[0];
        wfd[i] = sv[1];
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

    printf("{\"bench\": \"chain\", \"impl\": \"libevent\", \"pipes\": %d, \"active\": %d, "
           "\"writes\": %d, \"events_per_round\": %ld, \"rounds\": %d, \"ns_per_event\": %.1f, "
           "\"samples_ns_per_event\": [", npipes, nactive, nwrites, target, nrounds,
           median_d(samples, nrounds));
    for (r = 0; r < nrounds; r++)
        printf("%s%.1f", r ? ", " : "", samples[r]);
    printf("], \"backend\": \"%s\", \"libevent_version\": \"%s\"}\n",
           event_base_get_method(base), event_get_version());

    for (i = 0; i < npipes; i++) {
        event_free(evs[i]);
        close(rfd[i]);
        close(wfd[i]);
    }
    event_base_free(base);
    free(rfd); free(wfd); free(evs); free(samples);
    return 0;
}
