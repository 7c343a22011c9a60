/* echoload: a closed-loop TCP ping-pong load generator for echo servers.
 *
 * Opens C connections to 127.0.0.1:PORT (loopback only, by construction), and on
 * each keeps exactly one request in flight: send SIZE bytes, wait until the same
 * SIZE bytes have come back, check every byte, send the next one.  One thread,
 * epoll, non-blocking sockets, TCP_NODELAY.
 *
 * Phases: connect; warm-up (--warmup s, not counted); measured window (--duration s,
 * or until --max-requests replies, whichever comes first).  If --server-pid is given,
 * the server's utime/stime are read from /proc/PID/stat at the start and the end of
 * the measured window.  A stall watchdog and a hard deadline bound every run.
 *
 * Prints one JSON line: requests, seconds, req/s, latency p50/p90/p99/max (µs),
 * server user/sys CPU seconds and minor page faults in the window, client CPU, the whole machine's busy
 * CPU seconds in the window (from /proc/stat: shows other load), errors.  Exit 0 on
 * success, 1 on any error (the JSON then has "error").
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_util.h"

struct conn {
    int fd;
    uint32_t id;
    uint64_t seq;
    const unsigned char *msg; /* what this request sent: a window into the pattern */
    size_t sent, recvd;
    int64_t t_start;
    int want_out;
};

static int port = 0, nconns = 1, epfd = -1;
static size_t msg_size = 64;
static double warmup_s = 1.0, duration_s = 5.0, stall_s = 5.0;
static long max_requests = 100000000L;
static long server_pid = 0;

static unsigned char *pattern; /* msg_size + 256 bytes of pseudo-random data */
static unsigned char rbuf[1 << 17];

static int counting = 0;
static long done_in_window = 0, done_total = 0;
static uint32_t *lat_ns = NULL;
static size_t lat_n = 0, lat_cap = 0;
static int64_t last_progress = 0;

static void fail(const char *what, const char *detail)
{
    printf("{\"bench\": \"echo\", \"error\": \"%s: %s\", \"requests_total\": %ld}\n", what,
           detail ? detail : "", done_total);
    fflush(stdout);
    exit(1);
}

static void record_latency(int64_t ns)
{
    if (lat_n == lat_cap) {
        size_t ncap = lat_cap ? lat_cap * 2 : 65536;
        uint32_t *p = realloc(lat_ns, ncap * sizeof(uint32_t));
        if (!p)
            fail("realloc", "out of memory");
        lat_ns = p;
        lat_cap = ncap;
    }
    lat_ns[lat_n++] = ns > 0xFFFFFFFFLL ? 0xFFFFFFFFu : (uint32_t)ns;
}

static void set_out(struct conn *c, int on)
{
    struct epoll_event ev;
    if (c->want_out == on)
        return;
    ev.events = EPOLLIN | (on ? EPOLLOUT : 0);
    ev.data.u32 = c->id;
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) != 0)
        fail("epoll_ctl", strerror(errno));
    c->want_out = on;
}

static void try_send(struct conn *c)
{
    while (c->sent < msg_size) {
        ssize_t n = send(c->fd, c->msg + c->sent, msg_size - c->sent, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                set_out(c, 1);
                return;
            }
            if (errno == EINTR)
                continue;
            fail("send", strerror(errno));
        }
        c->sent += (size_t)n;
    }
    set_out(c, 0);
}

static void start_request(struct conn *c)
{
    c->seq++;
    c->msg = pattern + (size_t)((c->id * 7u + c->seq) % 251u);
    c->sent = 0;
    c->recvd = 0;
    c->t_start = now_ns();
    try_send(c);
}

static void on_readable(struct conn *c)
{
    ssize_t n = recv(c->fd, rbuf, sizeof(rbuf), 0);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return;
        fail("recv", strerror(errno));
    }
    if (n == 0)
        fail("recv", "server closed the connection");
    if (c->recvd + (size_t)n > c->sent)
        fail("verify", "server sent bytes that were not sent to it");
    if (memcmp(rbuf, c->msg + c->recvd, (size_t)n) != 0)
        fail("verify", "echoed bytes differ from the bytes sent");
    c->recvd += (size_t)n;
    if (c->recvd == msg_size) {
        int64_t t = now_ns();
        done_total++;
        last_progress = t;
        if (counting) {
            done_in_window++;
            record_latency(t - c->t_start);
        }
        start_request(c);
    }
}

static int read_proc_cpu(long pid, double *user_s, double *sys_s, unsigned long *minflt)
{
    char path[64], buf[4096], *p;
    unsigned long ut = 0, st = 0, mf = 0;
    int fd, field;
    ssize_t n;
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    p = strrchr(buf, ')'); /* comm may contain spaces */
    if (!p)
        return -1;
    p++;
    /* after ')': field 3 (state) onward; minflt is field 10, utime 14, stime 15 */
    for (field = 3; field <= 15 && *p; field++) {
        while (*p == ' ')
            p++;
        if (field == 10)
            mf = strtoul(p, NULL, 10);
        if (field == 14)
            ut = strtoul(p, NULL, 10);
        if (field == 15)
            st = strtoul(p, NULL, 10);
        while (*p && *p != ' ')
            p++;
    }
    *user_s = (double)ut / (double)sysconf(_SC_CLK_TCK);
    *sys_s = (double)st / (double)sysconf(_SC_CLK_TCK);
    *minflt = mf;
    return 0;
}

/* Whole-machine busy and total jiffies from the first line of /proc/stat. */
static int read_machine_cpu(unsigned long long *busy, unsigned long long *total)
{
    char buf[512];
    unsigned long long v[10] = {0};
    int fd = open("/proc/stat", O_RDONLY), i;
    ssize_t n;
    char *p;
    if (fd < 0)
        return -1;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0 || strncmp(buf, "cpu ", 4) != 0)
        return -1;
    buf[n] = 0;
    p = buf + 4;
    for (i = 0; i < 10; i++)
        v[i] = strtoull(p, &p, 10);
    /* user nice system idle iowait irq softirq steal guest guest_nice; guest is in user */
    *total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
    *busy = *total - v[3] - v[4];
    return 0;
}

static double tv_s(struct timeval tv) { return (double)tv.tv_sec + tv.tv_usec / 1e6; }

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static double pct_us(double p)
{
    size_t i;
    if (!lat_n)
        return 0.0;
    i = (size_t)(p * (double)(lat_n - 1) + 0.5);
    return lat_ns[i] / 1000.0;
}

static void usage(void)
{
    fprintf(stderr, "usage: echoload --port P [--conns C] [--size BYTES] [--duration S] "
                    "[--warmup S] [--max-requests N] [--server-pid PID] [--stall S]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    int i;
    struct conn *conns;
    struct sockaddr_in sa;
    struct epoll_event *evs;
    int64_t t0, t_win0 = 0, t_win1 = 0, t_hard;
    double su0 = 0, ss0 = 0, su1 = 0, ss1 = 0;
    unsigned long mf0 = 0, mf1 = 0;
    int have_server = 0, have_machine = 0;
    unsigned long long mb0 = 0, mt0 = 0, mb1 = 0, mt1 = 0;
    struct rusage ru0, ru1;
    long limit;

    for (i = 1; i < argc; i += 2) {
        if (i + 1 >= argc) usage();
        if (!strcmp(argv[i], "--port")) port = (int)arg_long(argv[i], argv[i + 1]);
        else if (!strcmp(argv[i], "--conns")) nconns = (int)arg_long(argv[i], argv[i + 1]);
        else if (!strcmp(argv[i], "--size")) msg_size = (size_t)arg_long(argv[i], argv[i + 1]);
        else if (!strcmp(argv[i], "--duration")) duration_s = arg_double(argv[i], argv[i + 1]);
        else if (!strcmp(argv[i], "--warmup")) warmup_s = arg_double(argv[i], argv[i + 1]);
        else if (!strcmp(argv[i], "--max-requests")) max_requests = arg_long(argv[i], argv[i + 1]);
        else if (!strcmp(argv[i], "--server-pid")) server_pid = arg_long(argv[i], argv[i + 1]);
        else if (!strcmp(argv[i], "--stall")) stall_s = arg_double(argv[i], argv[i + 1]);
        else usage();
    }
    if (port <= 0 || port > 65535 || nconns < 1 || msg_size < 1 || msg_size > (1 << 24) ||
        duration_s <= 0 || duration_s > 3600 || warmup_s < 0 || warmup_s > 600 ||
        max_requests < 1 || stall_s <= 0)
        usage();
    limit = raise_nofile();
    if (nconns + 16 > limit)
        fail("setup", "open-file limit too low for that many connections");
    signal(SIGPIPE, SIG_IGN);

    pattern = malloc(msg_size + 256);
    conns = calloc((size_t)nconns, sizeof(*conns));
    evs = calloc((size_t)nconns, sizeof(*evs));
    if (!pattern || !conns || !evs)
        fail("malloc", "out of memory");
    {
        uint64_t x = 0x9E3779B97F4A7C15ULL;
        for (i = 0; i < (int)(msg_size + 256); i++)
            pattern[i] = (unsigned char)(lcg_next(&x) >> 56);
    }

    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0)
        fail("epoll_create1", strerror(errno));
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* 127.0.0.1 only */

    for (i = 0; i < nconns; i++) {
        int one = 1;
        struct epoll_event ev;
        struct conn *c = &conns[i];
        c->id = (uint32_t)i;
        c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c->fd < 0)
            fail("socket", strerror(errno));
        if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) != 0)
            fail("connect", strerror(errno));
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
        ev.events = EPOLLIN;
        ev.data.u32 = (uint32_t)i;
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0)
            fail("epoll_ctl", strerror(errno));
    }

    t0 = now_ns();
    last_progress = t0;
    t_hard = t0 + (int64_t)((warmup_s + duration_s + stall_s + 5.0) * 1e9);
    for (i = 0; i < nconns; i++)
        start_request(&conns[i]);

    for (;;) {
        int n, k;
        int64_t t;
        n = epoll_wait(epfd, evs, nconns, 20);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fail("epoll_wait", strerror(errno));
        }
        for (k = 0; k < n; k++) {
            struct conn *c = &conns[evs[k].data.u32];
            if (evs[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
                on_readable(c);
            if ((evs[k].events & EPOLLOUT) && c->sent < msg_size)
                try_send(c);
        }
        t = now_ns();
        if (!counting && t - t0 >= (int64_t)(warmup_s * 1e9)) {
            counting = 1;
            t_win0 = t;
            if (server_pid > 0 && read_proc_cpu(server_pid, &su0, &ss0, &mf0) == 0)
                have_server = 1;
            getrusage(RUSAGE_SELF, &ru0);
            have_machine = read_machine_cpu(&mb0, &mt0) == 0;
        }
        if (counting && (t - t_win0 >= (int64_t)(duration_s * 1e9) || done_in_window >= max_requests)) {
            t_win1 = t;
            if (have_server && read_proc_cpu(server_pid, &su1, &ss1, &mf1) != 0)
                fail("server", "server process vanished during the run");
            getrusage(RUSAGE_SELF, &ru1);
            if (have_machine && read_machine_cpu(&mb1, &mt1) != 0)
                have_machine = 0;
            break;
        }
        if (t - last_progress > (int64_t)(stall_s * 1e9))
            fail("stall", "no reply completed within the stall limit");
        if (t > t_hard)
            fail("deadline", "hard deadline passed");
    }

    for (i = 0; i < nconns; i++)
        close(conns[i].fd);
    close(epfd);

    qsort(lat_ns, lat_n, sizeof(uint32_t), cmp_u32);
    {
        double secs = (double)(t_win1 - t_win0) / 1e9;
        double rps = secs > 0 ? (double)done_in_window / secs : 0.0;
        double cu = tv_s(ru1.ru_utime) - tv_s(ru0.ru_utime);
        double cs = tv_s(ru1.ru_stime) - tv_s(ru0.ru_stime);
        printf("{\"bench\": \"echo\", \"conns\": %d, \"size\": %zu, \"requests\": %ld, "
               "\"seconds\": %.4f, \"rps\": %.1f, \"p50_us\": %.1f, \"p90_us\": %.1f, "
               "\"p99_us\": %.1f, \"max_us\": %.1f, \"bytes_verified\": %.0f, ",
               nconns, msg_size, done_in_window, secs, rps, pct_us(0.50), pct_us(0.90),
               pct_us(0.99), lat_n ? lat_ns[lat_n - 1] / 1000.0 : 0.0,
               (double)done_total * (double)msg_size);
        if (have_server)
            printf("\"server_user_s\": %.3f, \"server_sys_s\": %.3f, \"server_minflt\": %lu, ",
                   su1 - su0, ss1 - ss0, mf1 - mf0);
        if (have_machine)
            printf("\"machine_busy_s\": %.3f, ", (double)(mb1 - mb0) / (double)sysconf(_SC_CLK_TCK));
        printf("\"client_user_s\": %.3f, \"client_sys_s\": %.3f, \"clk_tck\": %ld, \"errors\": 0}\n",
               cu, cs, sysconf(_SC_CLK_TCK));
    }
    free(lat_ns);
    free(pattern);
    free(conns);
    free(evs);
    return 0;
}
