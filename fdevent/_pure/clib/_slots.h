/* Filling a Python class's __slots__ from C: what a slot's member descriptor does on
 * assignment (PyMember_SetOne for T_OBJECT_EX), without looking the descriptor up by name.
 *
 * fdevent.aio makes an asyncio.Handle per call_soon. The stdlib's class stays the class (so
 * isinstance holds), but its __init__ is Python bytecode and each attribute assignment from
 * C is a type lookup by name; with the slots' offsets read once, at import, from the class's
 * own member descriptors, a handle is an allocation and seven stores. The offsets are
 * checked: anything but a writable object slot refuses, and the caller keeps setattr. */
#ifndef FDEVENT_SLOTS_H
#define FDEVENT_SLOTS_H

#include "Python.h"
#include "structmember.h"

/* The offset of the object slot that member descriptor `descr` manages, or -1 (and an
 * exception) if it is not one. */
static inline Py_ssize_t fdevent_slot_offset(PyObject *descr)
{
    PyMemberDef *m;
    if (!PyObject_TypeCheck(descr, &PyMemberDescr_Type)) {
        PyErr_SetString(PyExc_TypeError, "not a member descriptor");
        return -1;
    }
    m = ((PyMemberDescrObject *)descr)->d_member;
    if (m->type != T_OBJECT_EX || (m->flags & READONLY) || m->offset <= 0) {
        PyErr_SetString(PyExc_TypeError, "not a writable object slot");
        return -1;
    }
    return m->offset;
}

/* A new instance of `tp` with every slot empty, as object.__new__(tp) makes it. */
static inline PyObject *fdevent_slotted_new(PyObject *tp)
{
    PyTypeObject *t = (PyTypeObject *)tp;
    return t->tp_alloc(t, 0);
}

/* obj.<slot at off> = v */
static inline void fdevent_slot_set(PyObject *obj, Py_ssize_t off, PyObject *v)
{
    PyObject **addr = (PyObject **)((char *)obj + off);
    PyObject *old = *addr;
    Py_INCREF(v);
    *addr = v;
    Py_XDECREF(old);
}

/* obj.<slot at off> is True (the slot holds a bool, such as Handle._cancelled) */
static inline int fdevent_slot_is_true(PyObject *obj, Py_ssize_t off)
{
    return *(PyObject **)((char *)obj + off) == Py_True;
}

/* obj.<slot at off>, a new reference. An empty slot is read by name, so that the error is
 * getattr's own AttributeError (or a class attribute the slot shadows is found). */
static inline PyObject *fdevent_slot_get(PyObject *obj, Py_ssize_t off, PyObject *name)
{
    PyObject *v = *(PyObject **)((char *)obj + off);
    if (v == NULL)
        return PyObject_GetAttr(obj, name);
    Py_INCREF(v);
    return v;
}

/* ctx.run(fn, *args) without looking `run` up: what Context.run does in C (enter, call,
 * exit). Anything but a contextvars.Context, or args that are not a tuple, is left to the
 * object's own run method, as Handle._run would call it. */
static inline PyObject *fdevent_context_run(PyObject *ctx, PyObject *fn, PyObject *args)
{
    PyObject *res;
    if (!PyContext_CheckExact(ctx) || !PyTuple_CheckExact(args)) {
        PyObject *meth, *all, *full;
        Py_ssize_t i, n;
        all = PySequence_Tuple(args);
        if (all == NULL)
            return NULL;
        n = PyTuple_GET_SIZE(all);
        full = PyTuple_New(n + 1); /* (fn, *args) */
        if (full == NULL) {
            Py_DECREF(all);
            return NULL;
        }
        Py_INCREF(fn);
        PyTuple_SET_ITEM(full, 0, fn);
        for (i = 0; i < n; i++) {
            PyObject *a = PyTuple_GET_ITEM(all, i);
            Py_INCREF(a);
            PyTuple_SET_ITEM(full, i + 1, a);
        }
        Py_DECREF(all);
        meth = PyObject_GetAttrString(ctx, "run");
        res = meth == NULL ? NULL : PyObject_Call(meth, full, NULL);
        Py_XDECREF(meth);
        Py_DECREF(full);
        return res;
    }
    if (PyContext_Enter(ctx) < 0)
        return NULL;
    res = PyObject_Call(fn, args, NULL);
    if (PyContext_Exit(ctx) < 0) {
        Py_XDECREF(res);
        return NULL;
    }
    return res;
}

#endif
