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

/* fdevent_epoll_wait(): epoll_wait() with a timeout in seconds (< 0: for ever), to the
 * nanosecond where the kernel has epoll_pwait2 (Linux 5.11), through syscall() so that an
 * older C library does not matter; else rounded *up* to milliseconds, never early. The
 * probe is made once per process: ENOSYS (old kernel) or EPERM (a seccomp filter that does
 * not know the call) switches to epoll_wait for good. */
#ifdef __linux__
#include <errno.h>
#include <math.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441 /* the same number on every architecture */
#endif
static int fdevent_pwait2_state = 0; /* 0: untried, 1: works, -1: unavailable */
static inline int fdevent_epoll_wait(int epfd, struct epoll_event *evs, int max, double timeout)
{
    int n, ms;
    if (fdevent_pwait2_state >= 0) {
        struct timespec ts, *tsp = NULL;
        if (timeout >= 0.0) {
            double ns = ceil(timeout * 1e9);
            ts.tv_sec = (time_t)(ns / 1e9);
            ts.tv_nsec = (long)(ns - (double)ts.tv_sec * 1e9);
            if (ts.tv_nsec < 0) ts.tv_nsec = 0;
            if (ts.tv_nsec > 999999999L) ts.tv_nsec = 999999999L;
            tsp = &ts;
        }
        n = (int)syscall(SYS_epoll_pwait2, epfd, evs, max, tsp, NULL, (size_t)0);
        if (n >= 0 || (errno != ENOSYS && errno != EPERM)) {
            fdevent_pwait2_state = 1;
            return n;
        }
        if (fdevent_pwait2_state == 1)
            return n; /* it worked before: a real EPERM */
        fdevent_pwait2_state = -1;
    }
    ms = timeout < 0.0 ? -1 : (int)ceil(timeout * 1000.0);
    return epoll_wait(epfd, evs, max, ms);
}
static inline int fdevent_epoll_precise(void) { return fdevent_pwait2_state; }
#else
static inline int fdevent_epoll_wait(int epfd, struct epoll_event *evs, int max, double timeout)
{
    (void)timeout;
    return epoll_wait(epfd, evs, max, 0);
}
static inline int fdevent_epoll_precise(void) { return -1; }
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
