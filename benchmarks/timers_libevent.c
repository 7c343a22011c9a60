/* Timer benchmark, C libevent: COUNT one-shot timers (evtimer_new + evtimer_add) with
 * pseudo-random delays under 1 s (the LCG shared with the Python versions, so every
 * implementation gets the same delays), every second one cancelled (evtimer_del), then
 * event_base_dispatch() until the rest have fired.  Measures CPU (getrusage user+sys)
 * over schedule + cancel + run, and peak RSS (ru_maxrss).  Prints one JSON line.
 */
#include <event2/event.h>
#include <sys/resource.h>

#include "bench_util.h"

static long fired;

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    fired++;
}

static double tv_s(struct timeval tv) { return (double)tv.tv_sec + tv.tv_usec / 1e6; }

int main(int argc, char **argv)
{
    long count = 1000000, i, cancelled = 0;
    uint64_t seed = 12345, x;
    uint32_t *delay_us;
    struct event **evs;
    struct event_base *base;
    struct rusage r0, r1, r2, r3;
    int64_t w0, w1;

    for (i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--count")) count = arg_long(argv[i], argv[i + 1]);
        else if (!strcmp(argv[i], "--seed")) seed = (uint64_t)arg_long(argv[i], argv[i + 1]);
        else { fprintf(stderr, "unknown option %s\n", argv[i]); return 2; }
    }
    if (count < 1) { fprintf(stderr, "bad count\n"); return 2; }
    delay_us = malloc(sizeof(uint32_t) * (size_t)count);
    evs = malloc(sizeof(*evs) * (size_t)count);
    if (!delay_us || !evs) { perror("malloc"); return 1; }
    x = seed;
    for (i = 0; i < count; i++)
        delay_us[i] = (uint32_t)((lcg_next(&x) >> 33) % 1000000u);
    base = event_base_new();
    if (!base) { fprintf(stderr, "event_base_new failed\n"); return 1; }

    getrusage(RUSAGE_SELF, &r0);
    w0 = now_ns();
    for (i = 0; i < count; i++) {
        struct timeval tv;
        tv.tv_sec = delay_us[i] / 1000000u;
        tv.tv_usec = delay_us[i] % 1000000u;
        evs[i] = evtimer_new(base, on_timer, NULL);
        if (!evs[i] || evtimer_add(evs[i], &tv) != 0) { fprintf(stderr, "evtimer_add failed\n"); return 1; }
    }
    getrusage(RUSAGE_SELF, &r1);
    for (i = 1; i < count; i += 2) {
        evtimer_del(evs[i]);
        cancelled++;
    }
    getrusage(RUSAGE_SELF, &r2);
    event_base_dispatch(base);
    w1 = now_ns();
    getrusage(RUSAGE_SELF, &r3);
    if (fired != count - cancelled) {
        fprintf(stderr, "timers: %ld fired, expected %ld\n", fired, count - cancelled);
        return 1;
    }
    printf("{\"bench\": \"timers\", \"impl\": \"libevent\", \"count\": %ld, \"cancelled\": %ld, "
           "\"fired\": %ld, \"cpu_s\": %.4f, \"user_s\": %.4f, \"sys_s\": %.4f, "
           "\"schedule_cpu_s\": %.4f, \"cancel_cpu_s\": %.4f, \"run_cpu_s\": %.4f, "
           "\"wall_s\": %.4f, \"peak_rss_kib\": %ld, \"baseline_rss_kib\": %ld, "
           "\"libevent_version\": \"%s\"}\n",
           count, cancelled, fired,
           tv_s(r3.ru_utime) - tv_s(r0.ru_utime) + tv_s(r3.ru_stime) - tv_s(r0.ru_stime),
           tv_s(r3.ru_utime) - tv_s(r0.ru_utime), tv_s(r3.ru_stime) - tv_s(r0.ru_stime),
           tv_s(r1.ru_utime) - tv_s(r0.ru_utime) + tv_s(r1.ru_stime) - tv_s(r0.ru_stime),
           tv_s(r2.ru_utime) - tv_s(r1.ru_utime) + tv_s(r2.ru_stime) - tv_s(r1.ru_stime),
           tv_s(r3.ru_utime) - tv_s(r2.ru_utime) + tv_s(r3.ru_stime) - tv_s(r2.ru_stime),
           (double)(w1 - w0) / 1e9, r3.ru_maxrss, r0.ru_maxrss, event_get_version());
    for (i = 0; i < count; i++)
        event_free(evs[i]);
    event_base_free(base);
    free(evs);
    free(delay_us);
    return 0;
}
