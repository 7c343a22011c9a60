/* epoll for the compiled core's wait path, on Linux; elsewhere a stub that is never called
 * (the compiled base only takes that path when its poller is epoll) but lets the same
 * module compile on BSD and macOS. */
#ifndef FDEVENT_EPOLL_SHIM_H
#define FDEVENT_EPOLL_SHIM_H

#ifdef __linux__
#include <sys/epoll.h>
#define FDEVENT_HAVE_EPOLL 1
#else
#include <errno.h>
#include <stdint.h>
typedef union epoll_data { void *ptr; int fd; uint32_t u32; uint64_t u64; } epoll_data_t;
struct epoll_event { uint32_t events; epoll_data_t data; };
#define EPOLLIN 0x001
#define EPOLLOUT 0x004
#define EPOLLERR 0x008
#define EPOLLHUP 0x010
static int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout)
{
    (void)epfd; (void)events; (void)maxevents; (void)timeout;
    errno = ENOSYS;
    return -1;
}
#define FDEVENT_HAVE_EPOLL 0
#endif

#endif
