/* The streams' socket I/O on the compiled core's C path (declared in _streamio.pxd).
 *
 * One read scratch area for the whole process: a stream's read receives into it and copies
 * out only the bytes that came (one bytes object), so an idle stream holds no read buffer.
 * The GIL is held from the recv() to the copy, so streams of any base in any thread can
 * share it. Its size is a throughput choice: a read of a fast peer takes up to 256 KiB per
 * system call (libevent's 4 KiB costs a call per 4 KiB; uvloop reads 256 KiB too).
 *
 * Sends pass MSG_NOSIGNAL where there is one: a peer gone away is an EPIPE error for that
 * stream, never a SIGPIPE for the process (CPython ignores SIGPIPE, but an embedding
 * program may not).
 */
#ifndef FDEVENT_STREAMIO_H
#define FDEVENT_STREAMIO_H

#include <errno.h>
#include <string.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

#define FDEVENT_RBUF_SIZE 262144
#define FDEVENT_IOV_MAX 64

static char fdevent_rbuf[FDEVENT_RBUF_SIZE];

static inline Py_ssize_t fdevent_recv(int fd, Py_ssize_t cap)
{
    return (Py_ssize_t)recv(fd, fdevent_rbuf, (size_t)cap, 0);
}

static inline Py_ssize_t fdevent_send(int fd, const char *data, Py_ssize_t n)
{
    return (Py_ssize_t)send(fd, data, (size_t)n, MSG_NOSIGNAL);
}

static inline Py_ssize_t fdevent_sendv(int fd, struct iovec *iov, int n)
{
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = iov;
    msg.msg_iovlen = n;
    return (Py_ssize_t)sendmsg(fd, &msg, MSG_NOSIGNAL);
}

/* One iovec for a Buffer's chunk (a bytes, or the bytearray tail), from byte `off` on. */
static inline void fdevent_iov_set(struct iovec *v, PyObject *chunk, Py_ssize_t off)
{
    if (PyBytes_CheckExact(chunk)) {
        v->iov_base = PyBytes_AS_STRING(chunk) + off;
        v->iov_len = (size_t)(PyBytes_GET_SIZE(chunk) - off);
    } else {
        v->iov_base = PyByteArray_AS_STRING(chunk) + off;
        v->iov_len = (size_t)(PyByteArray_GET_SIZE(chunk) - off);
    }
}

/* Send a Buffer's front: `first` from `off`, then `rest[ri:]` (a list, or None), at most
 * FDEVENT_IOV_MAX chunks in one call; one chunk is a plain send(). */
static Py_ssize_t fdevent_send_chunks(int fd, PyObject *first, Py_ssize_t off, PyObject *rest,
                                      Py_ssize_t ri)
{
    struct iovec iov[FDEVENT_IOV_MAX];
    int n = 1;
    fdevent_iov_set(&iov[0], first, off);
    if (rest != Py_None) {
        Py_ssize_t end = PyList_GET_SIZE(rest);
        for (; ri < end && n < FDEVENT_IOV_MAX; ri++, n++)
            fdevent_iov_set(&iov[n], PyList_GET_ITEM(rest, ri), 0);
    }
    if (n == 1)
        return fdevent_send(fd, (const char *)iov[0].iov_base, (Py_ssize_t)iov[0].iov_len);
    return fdevent_sendv(fd, iov, n);
}

/* EAGAIN, EWOULDBLOCK and EINTR all mean "not now": the level-triggered event fires again. */
static inline int fdevent_not_now(int err)
{
    return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

#endif
