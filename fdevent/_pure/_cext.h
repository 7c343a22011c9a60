/* C helpers for the compiled core (declared in base.pxd).
 *
 * epoll for the compiled wait path, on Linux; elsewhere a stub that is never called (the
 * compiled base takes that path only when its poller is epoll) but lets the same module
 * compile on BSD and macOS.
 *
 * fdevent_monotonic(): time.monotonic() without the Python call and the float object. On
 * Linux CPython's time.monotonic() is clock_gettime(CLOCK_MONOTONIC) converted as here
 * (nanoseconds as a double, divided by 1e9), so both give the same value for the same
 * instant and a deadline computed here compares exactly with a time.monotonic() taken by
 * the user. Elsewhere CPython may use another clock (mach_absolute_time on macOS), so this
 * returns -1 and the caller falls back to time.monotonic().
 */
#ifndef FDEVENT_CEXT_H
#define FDEVENT_CEXT_H

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

#ifdef __linux__
#include <time.h>
static inline double fdevent_monotonic(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return -1.0;
    return (double)((long long)ts.tv_sec * 1000000000LL + ts.tv_nsec) / 1e9;
}
#else
static inline double fdevent_monotonic(void) { return -1.0; }
#endif

#endif
