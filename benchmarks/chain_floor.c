/* Chain benchmark, syscall floor: the same reads and writes as the event-loop
 * versions (one 1-byte read per event and one 1-byte write to the next pair
 * while the budget lasts), driven by a plain loop that already knows which
 * pipe holds a byte, so there is no polling and no dispatch.  This is the
 * cost an event loop cannot go below.  Prints one JSON line.
 */
#include <stdint.h>
#include <unistd.h>

#include "bench_util.h"

int main(int argc, char **argv)
{
    struct chain_opts o;
    int npipes, nactive, nwrites, nrounds;
    int i, r, space;
    int *rfd, *wfd, *pos;
    double *samples;
    long failures = 0;

    if (chain_parse_args(argc, argv, &o) != 0)
        return 2;
    npipes = o.npipes;
    nactive = o.nactive;
    nwrites = o.nwrites;
    nrounds = o.nrounds;
    pos = calloc((size_t)nactive, sizeof(int));
    samples = calloc((size_t)nrounds, sizeof(double));
    if (!pos || !samples) { perror("calloc"); return 1; }
    if (chain_open_pairs(npipes, &rfd, &wfd) != 0)
        return 1;
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

    chain_print_result("floor", &o, samples);
    printf("}\n");
    chain_close_pairs(npipes, rfd, wfd);
    free(pos);
    free(samples);
    return 0;
}
