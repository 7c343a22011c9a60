/* Chain benchmark, syscall floor: the same reads and writes as the event-loop
 * versions (one 1-byte read per event and one 1-byte write to the next pair
 * while the budget lasts), driven by a plain loop that already knows which
 * pipe holds a byte, so there is no polling and no dispatch.  This is the
 * cost an event loop cannot go below.  Prints one JSON line.
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_util.h"

int main(int argc, char **argv)
{
    int npipes = 100, nactive = 100, nwrites = 100000, nrounds = 5;
    int i, r, space;
    int *rfd, *wfd, *pos;
    double *samples;
    long failures = 0;
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
    pos = calloc((size_t)nactive, sizeof(int));
    samples = calloc((size_t)nrounds, sizeof(double));
    if (!rfd || !wfd || !pos || !samples) { perror("calloc"); return 1; }
    for (i = 0; i < npipes; i++) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) { perror("socketpair"); return 1; }
        fcntl(sv[0], F_SETFL, O_NONBLOCK);
        fcntl(sv[1], F_SETFL, O_NONBLOCK);
        rfd[i] = sv[0];
        wfd[i] = sv[1];
    }
    space = npipes / nactive;

    for (r = -1; r < nrounds; r++) {
        long reads_done = 0, writes_left = nwrites, target = (long)nactive + nwrites;
        int alive = nactive;
        int64_t t0, t1;
        for (i = 0; i < nactive; i++) {
            pos[i] = i * space;
            if (write(wfd[pos[i]], "x", 1) != 1)
                failures++;
        }
        t0 = now_ns();
        while (alive > 0) {
            for (i = 0; i < nactive; i++) {
                char c;
                int p = pos[i];
                if (p < 0)
                    continue;
                if (read(rfd[p], &c, 1) == 1)
                    reads_done++;
                else
                    failures++;
                if (writes_left > 0) {
                    int next = p + 1 == npipes ? 0 : p + 1;
                    if (write(wfd[next], "x", 1) != 1)
                        failures++;
                    writes_left--;
                    pos[i] = next;
                } else {
                    pos[i] = -1;
                    alive--;
                }
            }
        }
        t1 = now_ns();
        if (reads_done != target || failures) {
            fprintf(stderr, "floor: reads %ld of %ld, failures %ld\n", reads_done, target, failures);
            return 1;
        }
        if (r >= 0)
            samples[r] = (double)(t1 - t0) / (double)target;
    }

    printf("{\"bench\": \"chain\", \"impl\": \"floor\", \"pipes\": %d, \"active\": %d, "
           "\"writes\": %d, \"events_per_round\": %ld, \"rounds\": %d, \"ns_per_event\": %.1f, "
           "\"samples_ns_per_event\": [", npipes, nactive, nwrites, (long)nactive + nwrites,
           nrounds, median_d(samples, nrounds));
    for (r = 0; r < nrounds; r++)
        printf("%s%.1f", r ? ", " : "", samples[r]);
    printf("]}\n");
    for (i = 0; i < npipes; i++) {
        close(rfd[i]);
        close(wfd[i]);
    }
    free(rfd); free(wfd); free(pos); free(samples);
    return 0;
}
