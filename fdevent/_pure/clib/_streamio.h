/* The streams' socket I/O on the compiled core's C path (declared in _streamio.pxd).
 *
 * One read scratch area for the whole process: a stream's read receives into it and copies
 * out only the bytes that came (one bytes object), so an idle stream holds no read buffer.
 * The GIL is held from the recv() to the copy, so streams of any base in any thread can
 * share it. Its size is a throughput choice: a read of a fast peer takes up to 256 KiB per
 * system call (libevent's 4 KiB costs a call per 4 KiB; uvloop reads 256 KiB too).
 *
 * A read that is likely to be large goes straight into the bytes object the user receives,
 * not through the scratch area (fdevent_recv_obj): at 16 KiB a message, the copy out of the
 * scratch area is the one copy a C echo does not make. Whether a read is likely large is
 * guessed from the last read of the process (fdevent_rhint, under the GIL): a stream keeps
 * no size of its own, and a wrong guess costs little either way. Small reads keep the
 * scratch area: a bytes object the size of the data is cheaper (pymalloc) than a big one
 * shrunk. A direct read is at most FDEVENT_DIRECT_MAX bytes into the object (below
 * glibc's 128 KiB mmap threshold: no mmap/munmap per read) with the scratch area behind it
 * in the same readv(), so one system call still takes up to the cap; what lands in the
 * scratch area is appended to the object, as before.
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

/* From this many bytes a read goes into the object; the object is twice the last read. */
#define FDEVENT_DIRECT_MIN 4096
#define FDEVENT_DIRECT_MAX 65536

static Py_ssize_t fdevent_rhint;

/* Read up to `cap` bytes into a new bytes object: the object (b"" at end of file), NULL with
 * an exception set (no memory), or None with errno set when recv() failed. */
static PyObject *fdevent_recv_obj(int fd, Py_ssize_t cap)
{
    struct iovec iov[2];
    PyObject *obj;
    Py_ssize_t n, size;
    int err;

    if (fdevent_rhint < FDEVENT_DIRECT_MIN || cap < FDEVENT_DIRECT_MIN) {
        n = fdevent_recv(fd, cap);
        if (n < 0)
            Py_RETURN_NONE; /* leaves errno alone */
        fdevent_rhint = n;
        return PyBytes_FromStringAndSize(fdevent_rbuf, n);
    }
    size = fdevent_rhint * 2;
    if (size > FDEVENT_DIRECT_MAX)
        size = FDEVENT_DIRECT_MAX;
    if (size > cap)
        size = cap;
    obj = PyBytes_FromStringAndSize(NULL, size);
    if (obj == NULL)
        return NULL;
    iov[0].iov_base = PyBytes_AS_STRING(obj);
    iov[0].iov_len = (size_t)size;
    iov[1].iov_base = fdevent_rbuf;
    iov[1].iov_len = (size_t)(cap - size);
    n = (Py_ssize_t)readv(fd, iov, cap > size ? 2 : 1);
    if (n < 0) {
        err = errno;
        Py_DECREF(obj);
        errno = err;
        Py_RETURN_NONE;
    }
    fdevent_rhint = n;
    if (n == size)
        return obj;
    /* Shrunk in place (a realloc that keeps the block), or grown by what the scratch area
     * took. On failure _PyBytes_Resize frees the object and sets MemoryError. */
    if (_PyBytes_Resize(&obj, n) < 0)
        return NULL;
    if (n > size)
        memcpy(PyBytes_AS_STRING(obj) + size, fdevent_rbuf, (size_t)(n - size));
    return obj;
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
