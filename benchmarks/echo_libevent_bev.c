/* TCP echo server on C libevent's bufferevents: the library's own buffered connections,
 * the C counterpart of the fdevent Stream echo (echo_stream.py). An evconnlistener
 * accepts; each connection is a socket bufferevent (BEV_OPT_CLOSE_ON_FREE) whose read
 * callback moves its whole input buffer to its output buffer (evbuffer_add_buffer, no
 * copy) and whose event callback frees it at EOF or on an error. TCP_NODELAY on each.
 *
 * Listens on 127.0.0.1:PORT (0 = ephemeral), prints "READY <port>" on stdout, and
 * exits by itself after --max-seconds (a bound; the harness normally kills it first).
 */
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_util.h"

static struct event_base *base;

static void on_read(struct bufferevent *bev, void *arg)
{
    (void)arg;
    evbuffer_add_buffer(bufferevent_get_output(bev), bufferevent_get_input(bev));
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    (void)arg;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        bufferevent_free(bev);
}

static void on_accept(struct evconnlistener *lst, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg)
{
    int one = 1;
    struct bufferevent *bev;
    (void)lst;
    (void)sa;
    (void)salen;
    (void)arg;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!bev) {
        close(fd);
        return;
    }
    bufferevent_setcb(bev, on_read, NULL, on_event, NULL);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
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
    int i, port = 0;
    double max_seconds = 300;
    struct sockaddr_in sa;
    socklen_t salen = sizeof sa;
    struct evconnlistener *lst;
    struct event *stop;
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

    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    lst = evconnlistener_new_bind(base, on_accept, NULL,
                                  LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 1024,
                                  (struct sockaddr *)&sa, sizeof sa);
    if (!lst) {
        perror("evconnlistener_new_bind");
        return 1;
    }
    getsockname(evconnlistener_get_fd(lst), (struct sockaddr *)&sa, &salen);

    stop = evtimer_new(base, on_lifetime_over, NULL);
    tv.tv_sec = (long)max_seconds;
    tv.tv_usec = (long)((max_seconds - (double)tv.tv_sec) * 1e6);
    evtimer_add(stop, &tv);

    printf("READY %d\n", ntohs(sa.sin_port));
    fflush(stdout);
    event_base_dispatch(base);
    evconnlistener_free(lst);
    event_free(stop);
    event_base_free(base);
    return 0;
}
