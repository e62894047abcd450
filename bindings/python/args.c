/* args.c -- argument plumbing of the CPython extension: the keyword parser, byte buffers
 * over str and bytes-like arguments, and the errors raised for a core status. */
#include "_pylon_idv.h"

/* ------------------------------------------------------------ argument parsing */

/* The one argument parser: see pi_sig in _pylon_idv.h. Its messages follow CPython's. */
int parse_args_kw(const pi_sig *sig, const module_state *st, PyObject *const *args,
                  Py_ssize_t nargs, PyObject *kwnames, PyObject **out, Py_ssize_t *rest,
                  Py_ssize_t *nrest)
{
    const char *fname = sig->fname;
    Py_ssize_t i, j, n = sig->n, nkw = 0;

    if (nrest != NULL) *nrest = 0;
    if (nargs > sig->npos) {
        if (sig->npos == n)
            PyErr_Format(PyExc_TypeError, "%s() takes %s %zd argument%s (%zd given)", fname,
                         n == sig->nrequired ? "exactly" : "at most", n, n == 1 ? "" : "s",
                         nargs);
        else
            PyErr_Format(PyExc_TypeError, "%s() takes at most %zd positional argument%s "
                         "(%zd given)", fname, sig->npos, sig->npos == 1 ? "" : "s", nargs);
        return -1;
    }
    for (i = 0; i < n; i++) out[i] = i < nargs ? args[i] : NULL;
    if (kwnames != NULL && (nkw = PyTuple_Size(kwnames)) < 0) return -1;
    for (j = 0; j < nkw; j++) {
        PyObject *key = PyTuple_GetItem(kwnames, j);   /* borrowed */
        if (key == NULL) return -1;
        for (i = 0; i < n; i++)                          /* interned: usually identical */
            if (key == st->kw[sig->names[i]]) break;
        if (i == n) {
            for (i = 0; i < n; i++) {
                int c = PyUnicode_Compare(key, st->kw[sig->names[i]]);
                if (c == -1 && PyErr_Occurred()) return -1;
                if (c == 0) break;
            }
        }
        if (i == n && sig->rest) {
            rest[(*nrest)++] = j;
            continue;
        }
        if (i == n) {
            PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%U'",
                         fname, key);
            return -1;
        }
        if (out[i] != NULL) {
            PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument '%s'",
                         fname, kw_text[sig->names[i]]);
            return -1;
        }
        out[i] = args[nargs + j];
    }
    for (i = 0; i < sig->nrequired; i++) {
        if (out[i] != NULL) continue;
        if (i < sig->npos)
            PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s' (pos %zd)",
                         fname, kw_text[sig->names[i]], i + 1);
        else
            PyErr_Format(PyExc_TypeError, "%s() missing required keyword-only argument: '%s'",
                         fname, kw_text[sig->names[i]]);
        return -1;
    }
    return 0;
}

int parse_args_tuple(const pi_sig *sig, const module_state *st, PyObject *args,
                     PyObject *kwds, PyObject **out)
{
    PyObject *vec[8], *kwnames = NULL, *key, *value;
    Py_ssize_t nargs = PyTuple_Size(args), nkw = kwds != NULL ? PyDict_Size(kwds) : 0;
    Py_ssize_t i, pos = 0;
    int rc;

    if (nargs < 0 || nkw < 0) return -1;
    if (nargs + nkw > (Py_ssize_t)(sizeof vec / sizeof *vec)) {
        PyErr_Format(PyExc_TypeError, "%s() takes at most %zd arguments (%zd given)",
                     sig->fname, sig->n, nargs + nkw);
        return -1;
    }
    for (i = 0; i < nargs; i++) vec[i] = PyTuple_GetItem(args, i);
    if (nkw > 0) {
        if ((kwnames = PyTuple_New(nkw)) == NULL) return -1;
        for (i = 0; PyDict_Next(kwds, &pos, &key, &value); i++) {
            vec[nargs + i] = value;
            Py_INCREF(key);
            PyTuple_SetItem(kwnames, i, key);
        }
    }
    rc = parse_args_kw(sig, st, vec, nargs, kwnames, out, NULL, NULL);
    Py_XDECREF(kwnames);
    return rc;
}


/* "TypeError: sign() argument 'email' must be str or bytes-like, not int" */
void type_error(const char *fname, const char *arg, const char *expected, PyObject *o)
{
    PyObject *name = PyObject_GetAttrString((PyObject *)Py_TYPE(o), "__qualname__");
    if (name == NULL) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "%s() argument '%s' must be %s", fname, arg, expected);
        return;
    }
    PyErr_Format(PyExc_TypeError, "%s() argument '%s' must be %s, not %U", fname, arg,
                 expected, name);
    Py_DECREF(name);
}


/* ----------------------------------------------------------------- byte buffers */


void buf_release(pi_buf *b)
{
    Py_CLEAR(b->owner);
}

int buf_freeze(pi_buf *b)
{
    PyObject *copy;
    char *p;
    if (!b->mutable_) return 0;
    copy = PyBytes_FromStringAndSize(b->p, b->n);
    if (copy == NULL) return -1;
    p = PyBytes_AsString(copy);
    if (p == NULL) { Py_DECREF(copy); return -1; }
    Py_XDECREF(b->owner);
    b->owner = copy;
    b->p = p;
    b->mutable_ = 0;
    return 0;
}

/* bytes, bytearray, or any object with the buffer protocol (copied). Returns 1 when o was
 * one of those, 0 when it is not a bytes-like object (no exception set), -1 on error. */
int buf_from_bytes_like(PyObject *o, pi_buf *b)
{
    PyObject *view, *copy;
    char *p;
    Py_ssize_t n;

    if (PyBytes_Check(o)) {
        if (PyBytes_AsStringAndSize(o, &p, &n) < 0) return -1;
        b->p = p; b->n = n;
        return 1;
    }
    if (PyByteArray_Check(o)) {
        b->p = PyByteArray_AsString(o);
        b->n = PyByteArray_Size(o);
        b->mutable_ = 1;
        return b->p == NULL ? -1 : 1;
    }
    /* memoryview, array.array, mmap, ...: memoryview() accepts exactly the objects with the
     * buffer protocol (bytes() alone would also take ints and lists), then bytes() copies. */
    view = PyMemoryView_FromObject(o);
    if (view == NULL) {
        if (PyErr_ExceptionMatches(PyExc_TypeError)) { PyErr_Clear(); return 0; }
        return -1;
    }
    copy = PyBytes_FromObject(view);
    Py_DECREF(view);
    if (copy == NULL) return -1;
    if (PyBytes_AsStringAndSize(copy, &p, &n) < 0) { Py_DECREF(copy); return -1; }
    b->owner = copy;
    b->p = p; b->n = n;
    return 1;
}


/* A secret: str or bytes-like. A str that cannot be UTF-8 encoded (a lone surrogate) is not
 * a UnicodeEncodeError -- that exception would carry the whole secret in its .object --
 * but is encoded with surrogatepass, so the core reports the surrogate as an invalid digit
 * at its position (every character before the first bad one is ASCII, so byte positions
 * are character positions). */
int buf_secret(PyObject *o, pi_buf *b, const char *fname, const char *argname)
{
    int r;
    if (PyUnicode_Check(o)) {
        PyObject *enc;
        char *p;
        b->p = PyUnicode_AsUTF8AndSize(o, &b->n);
        if (b->p != NULL) return 0;
        if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) return -1;
        PyErr_Clear();
        enc = PyUnicode_AsEncodedString(o, "utf-8", "surrogatepass");
        if (enc == NULL) return -1;
        if (PyBytes_AsStringAndSize(enc, &p, &b->n) < 0) { Py_DECREF(enc); return -1; }
        b->owner = enc;
        b->p = p;
        return 0;
    }
    r = buf_from_bytes_like(o, b);
    if (r == 0) type_error(fname, argname, "str or bytes", o);
    return r < 0 || r == 0 ? -1 : 0;
}

/* A candidate hash: str, bytes-like or None. None, and a str that is not even encodable,
 * become "no hash" (p = NULL, n = 0), which the core treats as a mismatch. */
int buf_hash(PyObject *o, pi_buf *b, const char *fname)
{
    int r;
    if (o == Py_None) return 0;
    if (PyUnicode_Check(o)) {
        b->p = PyUnicode_AsUTF8AndSize(o, &b->n);
        if (b->p != NULL) return 0;
        if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) return -1;
        PyErr_Clear();
        b->n = 0;
        return 0;
    }
    r = buf_from_bytes_like(o, b);
    if (r == 0) type_error(fname, "email_hash", "str, bytes or None", o);
    return r < 0 || r == 0 ? -1 : 0;
}

/* ---------------------------------------------------------------------- errors */

/* Raise for a negative core status. For a malformed secret the message is the core's
 * (pylon_idv_message: the problem and, for an invalid character, its position; never the
 * secret), the same words as Lua's and the commands'. which: 0 the current secret, k the
 * k-th previous one of a Signer, PYLON_IDV_MESSAGE_KEY the raw key of from_key. */
/* exc.name = v (a new reference, or NULL after an error), v released. */
static int set_attr(PyObject *exc, const char *name, PyObject *v)
{
    int rc = v == NULL ? -1 : PyObject_SetAttrString(exc, name, v);
    Py_XDECREF(v);
    return rc;
}

PyObject *raise_status(const module_state *st, int rc, const char *secret,
                              size_t secret_len, size_t which)
{
    char reason[PYLON_IDV_MESSAGE_SIZE];
    PyObject *type, *exc;
    size_t position = 0;
    int is_secret = rc == PYLON_IDV_ESECRET_EMPTY || rc == PYLON_IDV_ESECRET_ODD
                 || rc == PYLON_IDV_ESECRET_CHAR;
    int has_position;

    if (rc == PYLON_IDV_ENOMEM) return PyErr_NoMemory();
    type = is_secret ? st->InvalidSecretError : st->Error;
    if (!is_secret) { secret = NULL; secret_len = 0; which = 0; }
    pylon_idv_message(reason, sizeof reason, rc, secret, secret_len, which);
    /* position: the offending character's index (CHAR), or the end of the digits (ODD), in
     * the string as given; which: 0 the current secret, k the k-th previous, None a raw key */
    has_position = is_secret && rc != PYLON_IDV_ESECRET_EMPTY && secret != NULL
                && which != PYLON_IDV_MESSAGE_KEY
                && pylon_idv_secret_check(secret, secret_len, &position) == rc;
    exc = PyObject_CallFunction(type, "N", PyUnicode_FromFormat("pylon_idv: %s", reason));
    if (exc == NULL) return NULL;
    if (set_attr(exc, "reason", PyUnicode_FromString(reason)) < 0
        || set_attr(exc, "status", PyLong_FromLong(rc)) < 0
        || set_attr(exc, "position", has_position ? PyLong_FromSize_t(position)
                                                  : Py_NewRef(Py_None)) < 0
        || set_attr(exc, "which", is_secret && which != PYLON_IDV_MESSAGE_KEY
                                  ? PyLong_FromSize_t(which) : Py_NewRef(Py_None)) < 0) {
        Py_DECREF(exc);
        return NULL;
    }
    PyErr_SetObject(type, exc);
    Py_DECREF(exc);
    return NULL;
}

