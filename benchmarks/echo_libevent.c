/* TCP echo server on C libevent, raw events (no bufferevents), written the same way
 * as echo_fdevent.py: a persistent read event per connection; each readiness does one
 * read of up to 64 KiB and writes it straight back; whatever the socket does not take
 * is kept and flushed by a persistent write event, with reading paused meanwhile.
 *
 * Listens on 127.0.0.1:PORT (0 = ephemeral), prints "READY <port>" on stdout, and
 * exits by itself after --max-seconds (a bound; the harness normally kills it first).
 */
#include <arpa/inet.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_util.h"

#define BUFSZ 65536

struct conn {
    int fd;
    struct event *rev, *wev;
    size_t off, len; /* pending output: buf[off .. len) */
    char buf[BUFSZ];
};

static struct event_base *base;

static void conn_close(struct conn *c)
{
    event_free(c->rev);
    event_free(c->wev);
    close(c->fd);
    free(c);
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    (void)what;
    while (c->off < c->len) {
        ssize_t n = send(fd, c->buf + c->off, c->len - c->off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            if (errno == EINTR)
                continue;
            conn_close(c);
            return;
        }
        c->off += (size_t)n;
    }
    c->off = c->len = 0;
    event_del(c->wev);
    event_add(c->rev, NULL);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    ssize_t n, w;
    (void)what;
    n = recv(fd, c->buf, BUFSZ, 0);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return;
        conn_close(c);
        return;
    }
    if (n == 0) {
        conn_close(c);
        return;
    }
    w = send(fd, c->buf, (size_t)n, MSG_NOSIGNAL);
    if (w < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            conn_close(c);
            return;
        }
        w = 0;
    }
    if (w < n) {
        c->off = (size_t)w;
        c->len = (size_t)n;
        event_del(c->rev);
        event_add(c->wev, NULL);
    }
}

static void on_accept(evutil_socket_t lfd, short what, void *arg)
{
    (void)what;
    (void)arg;
    for (;;) {
        int one = 1;
        struct conn *c;
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0)
            return; /* EAGAIN, or a transient error: level-triggered, we'll be back */
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c = calloc(1, sizeof(*c));
        if (!c) {
            close(fd);
            continue;
        }
        c->fd = fd;
        c->rev = event_new(base, fd, EV_READ | EV_PERSIST, on_read, c);
        c->wev = event_new(base, fd, EV_WRITE | EV_PERSIST, on_write, c);
        event_add(c->rev, NULL);
    }
}

static void on_lifetime_over(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    event_base_loopbreak(base);
}

int main(int argc, char **argv)
{
    int i, lfd, one = 1, port = 0;
    double max_seconds = 300;
    struct sockaddr_in sa;
    socklen_t salen = sizeof sa;
    struct event *lev, *stop;
    struct timeval tv;

    for (i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--port")) port = (int)arg_long(argv[i], argv[i + 1]);
        else if (!strcmp(argv[i], "--max-seconds")) max_seconds = arg_double(argv[i], argv[i + 1]);
        else { fprintf(stderr, "unknown option %s\n", argv[i]); return 2; }
    }
    raise_nofile();
    signal(SIGPIPE, SIG_IGN);
    base = event_base_new();
    if (!base) { fprintf(stderr, "event_base_new failed\n"); return 1; }

    lfd = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(lfd, 1024) != 0) {
        perror("bind/listen");
        return 1;
    }
    fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK);
    getsockname(lfd, (struct sockaddr *)&sa, &salen);

    lev = event_new(base, lfd, EV_READ | EV_PERSIST, on_accept, NULL);
    event_add(lev, NULL);
    /* the lifetime bound */
    stop = evtimer_new(base, on_lifetime_over, NULL);
    tv.tv_sec = (long)max_seconds;
    tv.tv_usec = (long)((max_seconds - (double)tv.tv_sec) * 1e6);
    evtimer_add(stop, &tv);

    printf("READY %d\n", ntohs(sa.sin_port));
    fflush(stdout);
    event_base_dispatch(base);
    event_free(lev);
    event_free(stop);
    close(lfd);
    event_base_free(base);
    return 0;
}
