/*
 * _pylon_idv.c -- the CPython binding: a thin translation layer over the C core.
 *
 * Built against the stable ABI (setup.py defines Py_LIMITED_API=0x030A0000), so one
 * cp310-abi3 wheel serves every CPython from 3.10 on. Multi-phase initialisation: all state
 * (the exceptions, the Signer type, interned keyword names) lives in the module state, the
 * Signer type is a heap type, nothing is static but constants; so every (sub)interpreter
 * gets its own module and no lock is needed (the C signer is immutable once built).
 *
 * Inputs: an email is str (UTF-8, strict) or any bytes-like object; a secret is str or
 * bytes(-like); a hash to verify is str, bytes(-like) or None. Anything else is TypeError.
 * Objects exposing the buffer protocol other than bytes/bytearray are copied through
 * memoryview() and bytes(): PyObject_GetBuffer is in the limited API only from 3.11.
 *
 * Messages come from the core's one formatter (pylon_idv_message), prefixed "pylon_idv: ",
 * and never contain any part of the secret; the parts come as data too (the exception's
 * status, position, which and reason), so no caller takes a message apart.
 *
 * _diagnose wraps pylon_idv_diagnose (pylon_idv.diagnose makes a Diagnosis of it), and
 * _json_script_string exposes the core's inline-script JSON escaper. The page functions
 * (chat_settings*, widget_script) are C functions over the core's one settings builder
 * (settings.c, shared with Lua): Python writes no JSON and makes no check of its own.
 *
 * Hot path (sign, Signer.sign): all-positional calls skip keyword parsing and even the
 * module-state lookup (needed only for keyword names and errors); bench/bench_python.py
 * measures it.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdlib.h>
#include <string.h>

#include "pylon_idv.h"    /* the only header of the core this extension includes */

#include <openssl/crypto.h>   /* OPENSSL_cleanse */

/* Emails at least this long are hashed with the GIL released (about 1 us of SHA-256 at
 * 4 KiB; below that, releasing and re-taking the GIL costs more than it lets others do). */
#define PI_GIL_RELEASE_MIN 4096

/* ------------------------------------------------------------------ module state */

enum { KW_EMAIL, KW_SECRET_HEX, KW_EMAIL_HASH, KW_KEY_BYTES, KW_COUNT };
static const char *const kw_text[KW_COUNT] = { "email", "secret_hex", "email_hash", "key_bytes" };

typedef struct {
    PyObject *Error;                 /* pylon_idv.Error(Exception) */
    PyObject *InvalidSecretError;    /* pylon_idv.InvalidSecretError(Error, ValueError) */
    PyTypeObject *SignerType;
    PyTypeObject *HTMLType;          /* pylon_idv.HTML(str), with __html__ */
    PyObject *kw[KW_COUNT];          /* interned keyword names */
} module_state;

static inline module_state *get_state(PyObject *module)
{
    return (module_state *)PyModule_GetState(module);
}

/* The Signer type cannot be subclassed, so Py_TYPE(self) is always the type this module
 * created, and PyType_GetModuleState finds the module (works on the 3.10 stable ABI). */
static inline module_state *state_of_type(PyTypeObject *tp)
{
    return (module_state *)PyType_GetModuleState(tp);
}

/* ------------------------------------------------------------ argument parsing */

/* Positional-or-keyword arguments of a METH_FASTCALL | METH_KEYWORDS function. out[i]
 * receives borrowed references (NULL for an omitted optional one). The general case, with
 * keywords or omitted arguments; parse_args() below handles all-positional calls inline. */
static int parse_args_kw(const char *fname, PyObject *const *args, Py_ssize_t nargs,
                         PyObject *kwnames, const module_state *st, const int *names,
                         Py_ssize_t n, Py_ssize_t nrequired, PyObject **out)
{
    Py_ssize_t i, j, nkw = 0;

    if (nargs > n) {
        PyErr_Format(PyExc_TypeError, "%s() takes %s %zd argument%s (%zd given)", fname,
                     n == nrequired ? "exactly" : "at most", n, n == 1 ? "" : "s", nargs);
        return -1;
    }
    for (i = 0; i < n; i++) out[i] = i < nargs ? args[i] : NULL;
    if (kwnames != NULL && (nkw = PyTuple_Size(kwnames)) < 0) return -1;
    for (j = 0; j < nkw; j++) {
        PyObject *key = PyTuple_GetItem(kwnames, j);   /* borrowed */
        if (key == NULL) return -1;
        for (i = 0; i < n; i++)                          /* interned: usually identical */
            if (key == st->kw[names[i]]) break;
        if (i == n) {
            for (i = 0; i < n; i++) {
                int c = PyUnicode_Compare(key, st->kw[names[i]]);
                if (c == -1 && PyErr_Occurred()) return -1;
                if (c == 0) break;
            }
        }
        if (i == n) {
            PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%U'",
                         fname, key);
            return -1;
        }
        if (out[i] != NULL) {
            PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument '%s'",
                         fname, kw_text[names[i]]);
            return -1;
        }
        out[i] = args[nargs + j];
    }
    for (i = 0; i < nrequired; i++) {
        if (out[i] == NULL) {
            PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s' (pos %zd)",
                         fname, kw_text[names[i]], i + 1);
            return -1;
        }
    }
    return 0;
}

/* The hot path: every argument by position, nothing to look up, not even the module state
 * (only keyword names need it). owner is the module of a module function, or the instance
 * of a Signer method (is_method), whose type leads to the module state. */
static inline int parse_args(const char *fname, PyObject *const *args, Py_ssize_t nargs,
                             PyObject *kwnames, PyObject *owner, int is_method,
                             const int *names, Py_ssize_t n, Py_ssize_t nrequired,
                             PyObject **out)
{
    const module_state *st;
    Py_ssize_t i;

    if (kwnames == NULL && nargs == n) {
        for (i = 0; i < n; i++) out[i] = args[i];
        return 0;
    }
    st = is_method ? state_of_type(Py_TYPE(owner)) : get_state(owner);
    if (st == NULL) return -1;
    return parse_args_kw(fname, args, nargs, kwnames, st, names, n, nrequired, out);
}

/* "TypeError: sign() argument 'email' must be str or bytes-like, not int" */
static void type_error(const char *fname, const char *arg, const char *expected, PyObject *o)
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

/* A hash (64 ASCII hex digits) as a str. The limited API has no PyUnicode_New to write the
 * digits into a new str directly; of the constructors it has, PyUnicode_DecodeLatin1 (a copy
 * after a max-char scan) measured cheapest under callgrind on 3.11: 151 instructions against
 * 165 for PyUnicode_FromStringAndSize (UTF-8) and 216 for PyUnicode_DecodeASCII. For ASCII
 * input all three give the same compact ASCII str. */
static inline PyObject *hash_str(const char *hex, Py_ssize_t n)
{
    return PyUnicode_DecodeLatin1(hex, n, NULL);
}

/* ----------------------------------------------------------------- byte buffers */

/* Bytes viewed in an argument. owner is a new reference to an immutable object holding p
 * (a bytes copy), or NULL when p points into the argument itself (kept alive by the
 * caller). mutable_ is set when p points into a bytearray: freeze() copies it before the
 * GIL is released, since another thread could resize it meanwhile. */
typedef struct {
    const char *p;
    Py_ssize_t n;
    PyObject *owner;
    int mutable_;
} pi_buf;

static void buf_release(pi_buf *b)
{
    Py_CLEAR(b->owner);
}

static int buf_freeze(pi_buf *b)
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
static int buf_from_bytes_like(PyObject *o, pi_buf *b)
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

/* An email: str as UTF-8 (strict: a lone surrogate raises UnicodeEncodeError), or bytes-like
 * taken as is. */
static inline int buf_email(PyObject *o, pi_buf *b, const char *fname)
{
    int r;
    if (PyUnicode_Check(o)) {
        b->p = PyUnicode_AsUTF8AndSize(o, &b->n);
        return b->p == NULL ? -1 : 0;
    }
    r = buf_from_bytes_like(o, b);
    if (r == 0) type_error(fname, "email", "str or a bytes-like object", o);
    return r < 0 || r == 0 ? -1 : 0;
}

/* A secret: str or bytes-like. A str that cannot be UTF-8 encoded (a lone surrogate) is not
 * a UnicodeEncodeError -- that exception would carry the whole secret in its .object --
 * but is encoded with surrogatepass, so the core reports the surrogate as an invalid digit
 * at its position (every character before the first bad one is ASCII, so byte positions
 * are character positions). */
static int buf_secret(PyObject *o, pi_buf *b, const char *fname, const char *argname)
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
static int buf_hash(PyObject *o, pi_buf *b, const char *fname)
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

static PyObject *raise_status(const module_state *st, int rc, const char *secret,
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

/* -------------------------------------------------------------- module functions */

PyDoc_STRVAR(sign_doc,
"sign($module, /, email, secret_hex)\n--\n\n"
"Return the email hash: lowercase_hex(HMAC-SHA256(bytes.fromhex(secret_hex), email)).\n\n"
"email is a str (encoded as UTF-8, strictly) or a bytes-like object, hashed exactly as\n"
"given: no trimming, lower-casing or normalisation. secret_hex is a str or bytes of hex\n"
"digits, either case; surrounding ASCII whitespace is ignored. The result is 64 lowercase\n"
"hex digits, the same as hmac.new(bytes.fromhex(secret_hex), email.encode(),\n"
"hashlib.sha256).hexdigest().\n\n"
"Raises InvalidSecretError for an empty, odd-length or non-hex secret, TypeError for an\n"
"argument of the wrong type, UnicodeEncodeError for a str email with lone surrogates.\n"
"To sign many emails with one secret, a Signer is faster.");

static PyObject *m_sign(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
                        PyObject *kwnames)
{
    static const int names[] = { KW_EMAIL, KW_SECRET_HEX };
    PyObject *a[2], *res = NULL;
    pi_buf e = { 0 }, s = { 0 };
    char hash[PYLON_IDV_HASH_HEX_SIZE];
    int rc;

    if (parse_args("sign", args, nargs, kwnames, module, 0, names, 2, 2, a) < 0) return NULL;
    if (buf_email(a[0], &e, "sign") < 0) goto done;
    if (buf_secret(a[1], &s, "sign", "secret_hex") < 0) goto done;
    if (e.n >= PI_GIL_RELEASE_MIN) {
        if (buf_freeze(&e) < 0 || buf_freeze(&s) < 0) goto done;
        Py_BEGIN_ALLOW_THREADS
        rc = pylon_idv_sign(hash, e.p, (size_t)e.n, s.p, (size_t)s.n);
        Py_END_ALLOW_THREADS
    } else {
        rc = pylon_idv_sign(hash, e.p, (size_t)e.n, s.p, (size_t)s.n);
    }
    if (rc < 0) raise_status(get_state(module), rc, s.p, (size_t)s.n, 0);
    else res = hash_str(hash, PYLON_IDV_HASH_HEX_LEN);
done:
    buf_release(&e);
    buf_release(&s);
    return res;
}

PyDoc_STRVAR(verify_doc,
"verify($module, /, email, secret_hex, email_hash)\n--\n\n"
"Return True if email_hash is the hash of email under secret_hex, else False.\n\n"
"email_hash is a str or bytes of 64 hex digits, either case, compared in constant time.\n"
"Anything else (None, a wrong length, a non-hex or non-ASCII str) is simply False, never\n"
"an exception. A bad secret is still an error, checked first: InvalidSecretError.\n"
"TypeError for arguments of the wrong type.");

static PyObject *m_verify(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
                          PyObject *kwnames)
{
    static const int names[] = { KW_EMAIL, KW_SECRET_HEX, KW_EMAIL_HASH };
    PyObject *a[3], *res = NULL;
    pi_buf e = { 0 }, s = { 0 }, h = { 0 };
    int rc;

    if (parse_args("verify", args, nargs, kwnames, module, 0, names, 3, 3, a) < 0)
        return NULL;
    if (buf_email(a[0], &e, "verify") < 0) goto done;
    if (buf_secret(a[1], &s, "verify", "secret_hex") < 0) goto done;
    if (buf_hash(a[2], &h, "verify") < 0) goto done;
    /* The C verify fails closed (0 for a bad secret too); here a bad secret is loud,
     * checked first. */
    rc = pylon_idv_secret_check(s.p, (size_t)s.n, NULL);
    if (rc < 0) {
        raise_status(get_state(module), rc, s.p, (size_t)s.n, 0);
        goto done;
    }
    if (e.n >= PI_GIL_RELEASE_MIN) {
        if (buf_freeze(&e) < 0 || buf_freeze(&s) < 0 || buf_freeze(&h) < 0) goto done;
        Py_BEGIN_ALLOW_THREADS
        rc = pylon_idv_verify(e.p, (size_t)e.n, s.p, (size_t)s.n, h.p, (size_t)h.n);
        Py_END_ALLOW_THREADS
    } else {
        rc = pylon_idv_verify(e.p, (size_t)e.n, s.p, (size_t)s.n, h.p, (size_t)h.n);
    }
    res = PyBool_FromLong(rc == 1);
done:
    buf_release(&e);
    buf_release(&s);
    buf_release(&h);
    return res;
}

PyDoc_STRVAR(generate_secret_doc,
"generate_secret($module, /)\n--\n\n"
"Return a new identity secret: 32 bytes from OpenSSL's CSPRNG as 64 lowercase hex digits.\n\n"
"Raises Error if the random generator fails.");

static PyObject *m_generate_secret(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    char secret[PYLON_IDV_SECRET_HEX_SIZE];
    PyObject *res;
    int rc = pylon_idv_generate_secret(secret);

    if (rc < 0) return raise_status(get_state(module), rc, NULL, 0, 0);
    res = PyUnicode_FromStringAndSize(secret, PYLON_IDV_SECRET_HEX_SIZE - 1);
    OPENSSL_cleanse(secret, sizeof secret);
    return res;
}

/* ------------------------------------------------------------------- diagnose */

PyDoc_STRVAR(diagnose_doc,
"_diagnose($module, /, email, secret_hex, email_hash)\n--\n\n"
"Return (cause_name, message): the first known mistake that explains email_hash.\n\n"
"The C core's pylon_idv_diagnose. Never raises on data: a malformed secret is itself a\n"
"cause (\"invalid_secret\", \"truncated_secret\"), and a None or malformed hash is evaluated\n"
"(\"unknown\"). TypeError for arguments of the wrong type, UnicodeEncodeError for a str\n"
"email with lone surrogates. A developer tool, not constant time: never expose it on an\n"
"endpoint. Use pylon_idv.diagnose(), which wraps this in a Diagnosis.");

static PyObject *m_diagnose(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
                            PyObject *kwnames)
{
    static const int names[] = { KW_EMAIL, KW_SECRET_HEX, KW_EMAIL_HASH };
    PyObject *a[3], *res = NULL;
    pi_buf e = { 0 }, s = { 0 }, h = { 0 };
    int cause;

    if (parse_args("diagnose", args, nargs, kwnames, module, 0, names, 3, 3, a) < 0)
        return NULL;
    if (buf_email(a[0], &e, "diagnose") < 0) goto done;
    if (buf_secret(a[1], &s, "diagnose", "secret_hex") < 0) goto done;
    if (buf_hash(a[2], &h, "diagnose") < 0) goto done;
    if (e.n >= PI_GIL_RELEASE_MIN) {
        if (buf_freeze(&e) < 0 || buf_freeze(&s) < 0 || buf_freeze(&h) < 0) goto done;
        Py_BEGIN_ALLOW_THREADS
        cause = pylon_idv_diagnose(e.p, (size_t)e.n, s.p, (size_t)s.n, h.p, (size_t)h.n);
        Py_END_ALLOW_THREADS
    } else {
        cause = pylon_idv_diagnose(e.p, (size_t)e.n, s.p, (size_t)s.n, h.p, (size_t)h.n);
    }
    res = Py_BuildValue("(ss)", pylon_idv_cause_name(cause), pylon_idv_cause_message(cause));
done:
    buf_release(&e);
    buf_release(&s);
    buf_release(&h);
    return res;
}

/* ------------------------------------------------------ JSON for inline <script> */

PyDoc_STRVAR(json_script_string_doc,
"_json_script_string($module, value, /)\n--\n\n"
"Return value as a JSON string literal (quotes included) that is safe inside an inline\n"
"<script>: \" \\ and control characters escaped, and also < > & U+2028 U+2029 as \\u\n"
"escapes, so that neither </script> nor <!-- can end or change the element.\n\n"
"value is a str (encoded UTF-8, strictly: a lone surrogate raises UnicodeEncodeError) or\n"
"a bytes-like object (invalid UTF-8 becomes U+FFFD). The escaping is the C core's\n"
"pylon_idv_json_string, shared with the Lua binding.");

#define PI_JSON_STACK 1024

static PyObject *m_json_script_string(PyObject *module, PyObject *value)
{
    char stack[PI_JSON_STACK], *out = stack;
    pi_buf v = { 0 };
    PyObject *res = NULL;
    size_t n;

    if (PyUnicode_Check(value)) {
        v.p = PyUnicode_AsUTF8AndSize(value, &v.n);
        if (v.p == NULL) return NULL;
    } else {
        int r = buf_from_bytes_like(value, &v);
        if (r == 0) type_error("_json_script_string", "value", "str or a bytes-like object",
                               value);
        if (r <= 0) return NULL;
    }
    /* PYLON_IDV_JSON_STRING_SIZE(n) = 6n + 3, which must not overflow (nor exceed what a str can
     * hold). Note: a bytearray is read in place; nothing here can run Python code. */
    if ((size_t)v.n > ((size_t)PY_SSIZE_T_MAX - 3) / 6) {
        PyErr_NoMemory();
        goto done;
    }
    if (PYLON_IDV_JSON_STRING_SIZE((size_t)v.n) > sizeof stack) {
        out = (char *)PyMem_Malloc(PYLON_IDV_JSON_STRING_SIZE((size_t)v.n));
        if (out == NULL) { PyErr_NoMemory(); goto done; }
    }
    n = pylon_idv_json_string(out, v.p, (size_t)v.n);
    /* Valid UTF-8 by construction: invalid input bytes were replaced with U+FFFD. */
    res = PyUnicode_DecodeUTF8(out, (Py_ssize_t)n, "strict");
    if (out != stack) PyMem_Free(out);
done:
    buf_release(&v);
    return res;
}

/* ---------------------------------------------------------------------- Signer */

typedef struct {
    PyObject_HEAD
    pylon_idv_signer *signer;                       /* never NULL once constructed */
    char fingerprint[PYLON_IDV_FINGERPRINT_SIZE];
} SignerObject;

#define SIGNER(o) ((SignerObject *)(o))

/* Wrap a ready C signer (ownership taken: freed on failure too). */
static PyObject *signer_wrap(PyTypeObject *type, pylon_idv_signer *signer)
{
    allocfunc alloc = (allocfunc)PyType_GetSlot(type, Py_tp_alloc);
    PyObject *self = alloc(type, 0);
    if (self == NULL) {
        pylon_idv_signer_free(signer);
        return NULL;
    }
    SIGNER(self)->signer = signer;
    if (pylon_idv_signer_fingerprint(signer, SIGNER(self)->fingerprint) != PYLON_IDV_OK) {
        Py_DECREF(self);                               /* frees the signer (EVP build only) */
        PyErr_SetString(PyExc_MemoryError, "pylon_idv: fingerprint failed");
        return NULL;
    }
    return self;
}

PyDoc_STRVAR(Signer_doc,
"Signer(secret_hex, *, previous=())\n--\n\n"
"A secret decoded once, ready to sign and verify many emails fast.\n\n"
"secret_hex is a str or bytes of hex digits (as for sign()). previous is a list or tuple\n"
"of older secrets still accepted by verify() and match() during a rotation (a sequence:\n"
"match() numbers them 1, 2, ... in this order); sign() always\n"
"uses secret_hex. A Signer is immutable and may be shared by any number of threads. It\n"
"never shows its secret: repr() gives only the fingerprint, and it cannot be pickled or\n"
"copied.\n\n"
"Raises InvalidSecretError for a malformed secret (current or previous), TypeError for\n"
"arguments of the wrong type.");

static PyObject *Signer_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = { "secret_hex", "previous", NULL };
    module_state *st = state_of_type(type);
    PyObject *secret = NULL, *previous = NULL, *item;
    pylon_idv_signer *signer = NULL;
    pi_buf s = { 0 };
    Py_ssize_t k = 0;
    int rc;

    if (st == NULL) return NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|$O:Signer", kwlist, &secret, &previous))
        return NULL;
    if (buf_secret(secret, &s, "Signer", "secret_hex") < 0) return NULL;
    rc = pylon_idv_signer_new(&signer, s.p, (size_t)s.n);
    if (rc < 0) {
        raise_status(st, rc, s.p, (size_t)s.n, 0);
        buf_release(&s);
        return NULL;
    }
    buf_release(&s);

    if (previous != NULL) {
        /* A sequence, so that match() numbers the same secrets the same way in every run: a
         * set (unordered), a generator, a dict, a str (iterated digit by digit) are refused. */
        Py_ssize_t i;
        if (!PyList_Check(previous) && !PyTuple_Check(previous)) {
            type_error("Signer", "previous", "a list or tuple of secrets", previous);
            goto fail;
        }
        /* The size is read again each time: a bytes-like item's conversion could, in
         * principle, run code that changes a list. */
        for (i = 0; i < PySequence_Size(previous); i++) {
            pi_buf p = { 0 };
            item = PySequence_GetItem(previous, i);
            if (item == NULL) goto fail;
            k++;
            if (buf_secret(item, &p, "Signer", "previous") < 0) { Py_DECREF(item); goto fail; }
            rc = pylon_idv_signer_add_previous(signer, p.p, (size_t)p.n);
            if (rc < 0) raise_status(st, rc, p.p, (size_t)p.n, (size_t)k);
            buf_release(&p);
            Py_DECREF(item);
            if (rc < 0) goto fail;
        }
        if (PyErr_Occurred()) goto fail;
    }
    return signer_wrap(type, signer);

fail:
    pylon_idv_signer_free(signer);
    return NULL;
}

static void Signer_dealloc(PyObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    freefunc tp_free = (freefunc)PyType_GetSlot(tp, Py_tp_free);
    pylon_idv_signer_free(SIGNER(self)->signer);      /* wipes the key material */
    SIGNER(self)->signer = NULL;
    tp_free(self);
    Py_DECREF(tp);                                    /* heap type instances own a reference */
}

static PyObject *Signer_repr(PyObject *self)
{
    return PyUnicode_FromFormat("<pylon_idv.Signer fingerprint=%s>", SIGNER(self)->fingerprint);
}

PyDoc_STRVAR(Signer_from_key_doc,
"from_key($type, /, key_bytes)\n--\n\n"
"Return a Signer keyed with raw key bytes, without hex decoding.\n\n"
"For vendors that key HMAC with the secret string itself (Intercom, Front, Help Scout,\n"
"Crisp, Chatwoot): Signer.from_key(secret.encode()). key_bytes is a bytes-like object;\n"
"a str is refused (TypeError) so that the encoding is explicit. An empty key raises\n"
"InvalidSecretError.");

static PyObject *Signer_from_key(PyObject *cls, PyObject *const *args, Py_ssize_t nargs,
                                 PyObject *kwnames)
{
    static const int names[] = { KW_KEY_BYTES };
    PyTypeObject *type = (PyTypeObject *)cls;
    module_state *st = state_of_type(type);
    pylon_idv_signer *signer = NULL;
    PyObject *a[1];
    pi_buf k = { 0 };
    int rc, r;

    if (st == NULL) return NULL;
    if (parse_args_kw("from_key", args, nargs, kwnames, st, names, 1, 1, a) < 0) return NULL;
    if (PyUnicode_Check(a[0])) {
        PyErr_SetString(PyExc_TypeError,
                        "from_key() argument 'key_bytes' must be bytes-like, not str "
                        "(encode it: Signer.from_key(secret.encode('utf-8')))");
        return NULL;
    }
    r = buf_from_bytes_like(a[0], &k);
    if (r <= 0) {
        if (r == 0) type_error("from_key", "key_bytes", "a bytes-like object", a[0]);
        return NULL;
    }
    rc = pylon_idv_signer_new_from_key(&signer, k.p, (size_t)k.n);
    buf_release(&k);
    if (rc < 0) return raise_status(st, rc, NULL, 0, PYLON_IDV_MESSAGE_KEY);
    return signer_wrap(type, signer);
}

PyDoc_STRVAR(Signer_sign_doc,
"sign($self, /, email)\n--\n\n"
"Return the email hash under the current secret: 64 lowercase hex digits.\n\n"
"email is a str (UTF-8, strict) or a bytes-like object, hashed exactly as given.");

static PyObject *Signer_sign(PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                             PyObject *kwnames)
{
    static const int names[] = { KW_EMAIL };
    PyObject *a[1], *res = NULL;
    pi_buf e = { 0 };
    char hash[PYLON_IDV_HASH_HEX_SIZE];
    int rc = PYLON_IDV_OK;

    if (parse_args("sign", args, nargs, kwnames, self, 1, names, 1, 1, a) < 0) return NULL;
    if (buf_email(a[0], &e, "sign") < 0) return NULL;
    if (e.n >= PI_GIL_RELEASE_MIN) {
        if (buf_freeze(&e) < 0) goto done;
        Py_BEGIN_ALLOW_THREADS
        rc = pylon_idv_signer_sign(SIGNER(self)->signer, hash, e.p, (size_t)e.n);
        Py_END_ALLOW_THREADS
    } else {
        rc = pylon_idv_signer_sign(SIGNER(self)->signer, hash, e.p, (size_t)e.n);
    }
    if (rc != PYLON_IDV_OK) {                               /* EVP build only */
        module_state *st = state_of_type(Py_TYPE(self));
        if (st != NULL) raise_status(st, rc, NULL, 0, 0);
    }
    else res = hash_str(hash, PYLON_IDV_HASH_HEX_LEN);
done:
    buf_release(&e);
    return res;
}

/* Shared by verify() and match(): the core's match index (-1 for none), or -2 on error. */
static int signer_match(PyObject *self, const char *fname, PyObject *const *args,
                        Py_ssize_t nargs, PyObject *kwnames)
{
    static const int names[] = { KW_EMAIL, KW_EMAIL_HASH };
    PyObject *a[2];
    pi_buf e = { 0 }, h = { 0 };
    int idx = -2;
    size_t which = 0;

    if (parse_args(fname, args, nargs, kwnames, self, 1, names, 2, 2, a) < 0) return -2;
    if (buf_email(a[0], &e, fname) < 0) goto done;
    if (buf_hash(a[1], &h, fname) < 0) goto done;
    if (e.n >= PI_GIL_RELEASE_MIN) {
        if (buf_freeze(&e) < 0 || buf_freeze(&h) < 0) goto done;
        Py_BEGIN_ALLOW_THREADS
        idx = pylon_idv_signer_match(SIGNER(self)->signer, e.p, (size_t)e.n, h.p, (size_t)h.n,
                                     &which);
        Py_END_ALLOW_THREADS
    } else {
        idx = pylon_idv_signer_match(SIGNER(self)->signer, e.p, (size_t)e.n, h.p, (size_t)h.n,
                                     &which);
    }
    idx = idx == 1 ? (int)which : -1;
done:
    buf_release(&e);
    buf_release(&h);
    return idx;
}

PyDoc_STRVAR(Signer_verify_doc,
"verify($self, /, email, email_hash)\n--\n\n"
"Return True if email_hash is the email's hash under the current or a previous secret.\n\n"
"email_hash is a str or bytes of 64 hex digits, either case, compared in constant time;\n"
"None or a malformed hash is simply False.");

static PyObject *Signer_verify(PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                               PyObject *kwnames)
{
    int idx = signer_match(self, "verify", args, nargs, kwnames);
    if (idx == -2) return NULL;
    return PyBool_FromLong(idx >= 0);
}

PyDoc_STRVAR(Signer_match_doc,
"match($self, /, email, email_hash)\n--\n\n"
"Say which secret email_hash was made with: 0 for the current secret, k for the k-th\n"
"previous secret (1-based, in the order given), None for no match.\n\n"
"Every secret is tried (constant time); use it to log who still sends hashes made with an\n"
"old secret, and retire that secret when nobody does. Note that 0 is falsy: compare the\n"
"result with None.");

static PyObject *Signer_match(PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                              PyObject *kwnames)
{
    int idx = signer_match(self, "match", args, nargs, kwnames);
    if (idx == -2) return NULL;
    if (idx < 0) Py_RETURN_NONE;
    return PyLong_FromLong(idx);
}

PyDoc_STRVAR(Signer_fingerprint_doc,
"The secret's fingerprint: 16 hex digits of HMAC-SHA256(key, \"pylon_idv fingerprint v1\").\n"
"Safe to log and compare between services; it reveals nothing about the key.");

static PyObject *Signer_get_fingerprint(PyObject *self, void *Py_UNUSED(closure))
{
    return PyUnicode_FromString(SIGNER(self)->fingerprint);
}

PyDoc_STRVAR(Signer_nocopy_doc,
"Refused: a Signer holds a secret key and is neither pickled nor copied (TypeError).\n"
"Share the object itself (it is immutable and thread-safe), or build another from the\n"
"secret.");

static PyObject *Signer_nocopy(PyObject *self, PyObject *args)
{
    (void)self; (void)args;
    PyErr_SetString(PyExc_TypeError,
                    "cannot pickle or copy a pylon_idv.Signer: it holds a secret key; share "
                    "the object itself or create another from the secret");
    return NULL;
}

#define FASTKW (METH_FASTCALL | METH_KEYWORDS)
#define FN(f) ((PyCFunction)(void (*)(void))(f))

static PyMethodDef Signer_methods[] = {
    { "sign", FN(Signer_sign), FASTKW, Signer_sign_doc },
    { "verify", FN(Signer_verify), FASTKW, Signer_verify_doc },
    { "match", FN(Signer_match), FASTKW, Signer_match_doc },
    { "from_key", FN(Signer_from_key), FASTKW | METH_CLASS, Signer_from_key_doc },
    { "__reduce__", Signer_nocopy, METH_NOARGS, Signer_nocopy_doc },
    { "__reduce_ex__", Signer_nocopy, METH_O, Signer_nocopy_doc },
    { "__copy__", Signer_nocopy, METH_NOARGS, Signer_nocopy_doc },
    { "__deepcopy__", Signer_nocopy, METH_O, Signer_nocopy_doc },
    { NULL, NULL, 0, NULL }
};

static PyGetSetDef Signer_getset[] = {
    { "fingerprint", Signer_get_fingerprint, NULL, Signer_fingerprint_doc, NULL },
    { NULL, NULL, NULL, NULL, NULL }
};

static PyType_Slot Signer_slots[] = {
    { Py_tp_doc, (void *)Signer_doc },
    { Py_tp_new, (void *)Signer_new },
    { Py_tp_dealloc, (void *)Signer_dealloc },
    { Py_tp_repr, (void *)Signer_repr },
    { Py_tp_methods, Signer_methods },
    { Py_tp_getset, Signer_getset },
    { 0, NULL }
};

#if defined(Py_TPFLAGS_IMMUTABLETYPE)
#  define PI_TPFLAGS (Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE)
#else
#  define PI_TPFLAGS Py_TPFLAGS_DEFAULT
#endif

/* No Py_TPFLAGS_BASETYPE: a Signer is final (and immutable: the type's attributes too). */
static PyType_Spec Signer_spec = {
    "pylon_idv.Signer", sizeof(SignerObject), 0, PI_TPFLAGS, Signer_slots
};

/* ------------------------------------------------------------------------ the page */
/*
 * chat_settings, chat_settings_json, chat_settings_script, chat_settings_data and
 * widget_script: C functions, so that no Python frame of the package ever holds the secret
 * (error trackers record the local variables of every frame of a traceback). Each only
 * translates its arguments into the core's input (pylon_idv_page: app_id, email or NULL, nonce, an
 * array of typed fields) and calls the one builder, pylon_idv_page_prepare / pylon_idv_page_render, which
 * makes every check, in the same order and with the same messages as in Lua, before it signs.
 *
 * Text is UTF-8; a str with lone surrogates is encoded with surrogatepass so that the core
 * finds it (invalid UTF-8) and names the field and the rule in a ValueError, rather than a
 * UnicodeEncodeError carrying the whole value. The HTML results are pylon_idv.HTML, a str
 * subclass with __html__, which Jinja2, Django and markupsafe insert as they are.
 */

PyDoc_STRVAR(HTML_doc,
"HTML(object='')\n--\n\n"
"A str of HTML that is safe to insert as it is: chat_settings_script(), chat_settings_data()\n"
"and widget_script() return one. __html__() (the markup protocol) returns it unchanged, so\n"
"Jinja2, Django and markupsafe insert it without Markup() or mark_safe(). Any operation on\n"
"it (concatenation, formatting) gives a plain str.");

static PyObject *HTML_html(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    Py_INCREF(self);
    return self;
}

static PyMethodDef HTML_methods[] = {
    { "__html__", HTML_html, METH_NOARGS, "Return self: this text is HTML, safe as it is." },
    { NULL, NULL, 0, NULL }
};

static PyType_Slot HTML_slots[] = {
    { Py_tp_doc, (void *)HTML_doc },
    { Py_tp_methods, HTML_methods },
    { 0, NULL }
};

static PyType_Spec HTML_spec = {
    "pylon_idv.HTML", 0, 0, PI_TPFLAGS, HTML_slots
};

/* Text of a str argument: UTF-8, or with surrogatepass for a str the core must refuse (it
 * reports invalid UTF-8). *owner receives a new bytes object to release, or stays NULL. */
static int page_text(PyObject *o, const char **p, size_t *n, PyObject **owner)
{
    Py_ssize_t len;
    char *q;
    *owner = NULL;
    *p = PyUnicode_AsUTF8AndSize(o, &len);
    if (*p != NULL) { *n = (size_t)len; return 0; }
    if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) return -1;
    PyErr_Clear();
    *owner = PyUnicode_AsEncodedString(o, "utf-8", "surrogatepass");
    if (*owner == NULL) return -1;
    if (PyBytes_AsStringAndSize(*owner, &q, &len) < 0) { Py_CLEAR(*owner); return -1; }
    *p = q;
    *n = (size_t)len;
    return 0;
}

static void page_type_error(const char *fname, const char *what, const char *expected,
                            PyObject *o)
{
    PyObject *name = PyObject_GetAttrString((PyObject *)Py_TYPE(o), "__qualname__");
    if (name == NULL) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "%s(): %s must be %s", fname, what, expected);
        return;
    }
    PyErr_Format(PyExc_TypeError, "%s(): %s must be %s, not %U", fname, what, expected, name);
    Py_DECREF(name);
}

static PyObject *page_raise(const module_state *st, const char *fname, const pylon_idv_page_error *err)
{
    char msg[PYLON_IDV_PAGE_MESSAGE_SIZE];

    switch (pylon_idv_page_error_kind(err->rule)) {
    case PYLON_IDV_KIND_SECRET:
        return raise_status(st, err->status, err->secret, err->secret_len, 0);
    case PYLON_IDV_KIND_MEMORY:
        return PyErr_NoMemory();
    case PYLON_IDV_KIND_CRYPTO:
        PyErr_Format(st->Error, "%s(): %s", fname, pylon_idv_page_message(msg, sizeof msg, err));
        return NULL;
    case PYLON_IDV_KIND_TYPE:
        PyErr_Format(PyExc_TypeError, "%s(): %s", fname,
                     pylon_idv_page_message(msg, sizeof msg, err));
        return NULL;
    default:                                           /* DATA, USAGE */
        PyErr_Format(PyExc_ValueError, "%s(): %s", fname,
                     pylon_idv_page_message(msg, sizeof msg, err));
        return NULL;
    }
}

enum { PAGE_DICT = 100 };

/* What the caller gave: borrowed references, except the owners list. */
typedef struct {
    PyObject *email, *secret, *app_id, *nonce;
    pylon_idv_field *fields;
    PyObject **values;        /* values[i]: the object of fields[i] as given (index = i) */
    PyObject *owners;         /* a list holding the surrogatepass copies */
    size_t nfields;
} page_args;

static void page_args_free(page_args *a)
{
    PyMem_Free(a->fields);
    PyMem_Free(a->values);
    Py_CLEAR(a->owners);
}

static int keep(page_args *a, PyObject *owner)
{
    int rc;
    if (owner == NULL) return 0;
    rc = PyList_Append(a->owners, owner);
    Py_DECREF(owner);
    return rc;
}

/* Sort the call into a page_args: at most two positional arguments (email,
 * secret_or_signer), the named ones, and every other keyword a field. */
static int page_parse(const char *fname, PyObject *args, PyObject *kwargs, int takes_nonce,
                      page_args *a)
{
    Py_ssize_t nargs = PyTuple_Size(args), pos = 0, nkw;
    PyObject *key, *value;
    size_t i = 0;

    memset(a, 0, sizeof *a);
    if (nargs < 0) return -1;
    if (nargs > 2) {
        PyErr_Format(PyExc_TypeError, "%s() takes 2 positional arguments but %zd were given",
                     fname, nargs);
        return -1;
    }
    if (nargs > 0) a->email = PyTuple_GetItem(args, 0);
    if (nargs > 1) a->secret = PyTuple_GetItem(args, 1);
    nkw = kwargs != NULL ? PyDict_Size(kwargs) : 0;
    a->owners = PyList_New(0);
    if (a->owners == NULL) return -1;
    if (nkw > 0) {
        a->fields = (pylon_idv_field *)PyMem_Calloc((size_t)nkw, sizeof *a->fields);
        a->values = (PyObject **)PyMem_Calloc((size_t)nkw, sizeof *a->values);
        if (a->fields == NULL || a->values == NULL) { PyErr_NoMemory(); return -1; }
    }
    while (kwargs != NULL && PyDict_Next(kwargs, &pos, &key, &value)) {
        PyObject **slot = NULL;
        if (PyUnicode_CompareWithASCIIString(key, "email") == 0) slot = &a->email;
        else if (PyUnicode_CompareWithASCIIString(key, "secret_or_signer") == 0)
            slot = &a->secret;
        else if (PyUnicode_CompareWithASCIIString(key, "app_id") == 0) slot = &a->app_id;
        else if (takes_nonce && PyUnicode_CompareWithASCIIString(key, "nonce") == 0)
            slot = &a->nonce;
        if (slot != NULL) {
            if (*slot != NULL) {
                PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument '%U'",
                             fname, key);
                return -1;
            }
            *slot = value;
            continue;
        }
        {
            pylon_idv_field *f = &a->fields[i];
            PyObject *owner;
            const char *p;
            size_t n;
            if (page_text(key, &p, &n, &owner) < 0 || keep(a, owner) < 0) return -1;
            f->key = p; f->key_len = n; f->index = i;
            a->values[i] = value;
            if (value == Py_None) {
                f->type = PYLON_IDV_VALUE_NONE;
            } else if (PyBool_Check(value)) {
                f->type = PYLON_IDV_VALUE_BOOL;
                f->boolean = value == Py_True;
            } else if (PyLong_Check(value)) {
                int overflow = 0;
                long long v = PyLong_AsLongLongAndOverflow(value, &overflow);
                if (v == -1 && PyErr_Occurred()) return -1;
                f->type = overflow ? PYLON_IDV_VALUE_INT_HUGE : PYLON_IDV_VALUE_INT;
                f->integer = v;
            } else if (PyFloat_Check(value)) {
                f->type = PYLON_IDV_VALUE_FLOAT;
                f->number = PyFloat_AsDouble(value);
                if (f->number == -1.0 && PyErr_Occurred()) return -1;
            } else if (PyUnicode_Check(value)) {
                f->type = PYLON_IDV_VALUE_STRING;
                if (page_text(value, &p, &n, &owner) < 0 || keep(a, owner) < 0) return -1;
                f->str = p; f->str_len = n;
            } else {
                char label[96], what[128];
                pylon_idv_field_label(label, sizeof label, f->key, f->key_len);
                snprintf(what, sizeof what, "%s", label);
                page_type_error(fname, what, "str, int, float, bool or None", value);
                return -1;
            }
            i++;
        }
    }
    if (PyErr_Occurred()) return -1;
    a->nfields = i;
    if (a->email == NULL || a->secret == NULL) {
        PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s' (pos %d)", fname,
                     a->email == NULL ? "email" : "secret_or_signer", a->email == NULL ? 1 : 2);
        return -1;
    }
    if (a->app_id == NULL) {
        PyErr_Format(PyExc_TypeError, "%s() missing required keyword-only argument: 'app_id'",
                     fname);
        return -1;
    }
    return 0;
}

/* An str argument (app_id, nonce) into (p, n); NULL for None when none_ok. */
static int page_str_arg(const char *fname, const char *name, PyObject *o, int none_ok,
                        page_args *a, const char **p, size_t *n)
{
    PyObject *owner;
    *p = NULL; *n = 0;
    if (o == NULL || (none_ok && o == Py_None)) return 0;
    if (!PyUnicode_Check(o)) {
        char what[64];
        snprintf(what, sizeof what, "argument '%s'", name);
        page_type_error(fname, what, none_ok ? "str or None" : "str", o);
        return -1;
    }
    if (page_text(o, p, n, &owner) < 0 || keep(a, owner) < 0) return -1;
    return 0;
}

static PyObject *page_result(module_state *st, const char *text, size_t n, int html)
{
    PyObject *s = PyUnicode_DecodeUTF8(text, (Py_ssize_t)n, "strict"), *r;
    if (s == NULL || !html) return s;
    r = PyObject_CallFunctionObjArgs((PyObject *)st->HTMLType, s, NULL);
    Py_DECREF(s);
    return r;
}

/* The value of a field in chat_settings()'s dict: the object given when it is exactly
 * str, int, float or bool; otherwise (a subclass: IntEnum, a str subclass) the plain value,
 * as the JSON has it. */
static PyObject *page_dict_value(const pylon_idv_field *f, PyObject *given)
{
    switch (f->type) {
    case PYLON_IDV_VALUE_BOOL:
        return PyBool_FromLong(f->boolean);
    case PYLON_IDV_VALUE_INT:
        if (PyLong_CheckExact(given)) { Py_INCREF(given); return given; }
        return PyLong_FromLongLong(f->integer);
    case PYLON_IDV_VALUE_FLOAT:
        if (PyFloat_CheckExact(given)) { Py_INCREF(given); return given; }
        return PyFloat_FromDouble(f->number);
    default:
        if (PyUnicode_CheckExact(given)) { Py_INCREF(given); return given; }
        return PyUnicode_DecodeUTF8(f->str, (Py_ssize_t)f->str_len, "strict");
    }
}

static int dict_set(PyObject *d, const char *key, PyObject *v)
{
    int rc;
    if (v == NULL) return -1;
    rc = PyDict_SetItemString(d, key, v);
    Py_DECREF(v);
    return rc;
}

static PyObject *page_dict(const pylon_idv_page *p, const page_args *a)
{
    PyObject *d = PyDict_New();
    size_t i;
    if (d == NULL) return NULL;
    if (dict_set(d, "app_id", PyUnicode_DecodeUTF8(p->app_id, (Py_ssize_t)p->app_id_len,
                                                  "strict")) < 0) goto fail;
    if (p->email != NULL) {
        if (dict_set(d, "email", PyUnicode_DecodeUTF8(p->email, (Py_ssize_t)p->email_len,
                                                     "strict")) < 0) goto fail;
        if (dict_set(d, "email_hash", hash_str(p->email_hash, PYLON_IDV_HASH_HEX_LEN)) < 0)
            goto fail;
    }
    for (i = 0; i < p->nout; i++) {
        const pylon_idv_field *f = &p->fields[i];
        PyObject *k = PyUnicode_DecodeUTF8(f->key, (Py_ssize_t)f->key_len, "strict"), *v;
        if (k == NULL) goto fail;
        v = page_dict_value(f, a->values[f->index]);
        if (v == NULL || PyDict_SetItem(d, k, v) < 0) { Py_DECREF(k); Py_XDECREF(v); goto fail; }
        Py_DECREF(k);
        Py_DECREF(v);
    }
    return d;
fail:
    Py_DECREF(d);
    return NULL;
}

static PyObject *page_call(PyObject *module, const char *fname, PyObject *args,
                           PyObject *kwargs, int kind)
{
    module_state *st = get_state(module);
    page_args a;
    pylon_idv_page p;
    pylon_idv_page_error err;
    pi_buf s = { 0 };
    const pylon_idv_signer *signer = NULL;
    PyObject *res = NULL;
    char stack[2048], *out = stack;
    size_t size, n;

    if (st == NULL) return NULL;
    memset(&p, 0, sizeof p);
    if (page_parse(fname, args, kwargs, kind == PYLON_IDV_PAGE_SCRIPT, &a) < 0) goto done;
    /* Types, in the order of the signature. */
    if (a.email != Py_None) {
        PyObject *owner;
        if (!PyUnicode_Check(a.email)) {
            page_type_error(fname, "argument 'email'", "str or None (a visitor not logged in)",
                            a.email);
            goto done;
        }
        if (page_text(a.email, &p.email, &p.email_len, &owner) < 0 || keep(&a, owner) < 0)
            goto done;
    }
    if (Py_TYPE(a.secret) == st->SignerType) {
        signer = SIGNER(a.secret)->signer;
    } else if (buf_secret(a.secret, &s, fname, "secret_or_signer") < 0) {
        if (!PyUnicode_Check(a.secret) && PyErr_ExceptionMatches(PyExc_TypeError)) {
            PyErr_Clear();
            page_type_error(fname, "argument 'secret_or_signer'", "a hex secret (str or bytes) "
                            "or a Signer", a.secret);
        }
        goto done;
    }
    if (page_str_arg(fname, "app_id", a.app_id, 0, &a, &p.app_id, &p.app_id_len) < 0) goto done;
    if (page_str_arg(fname, "nonce", a.nonce, 1, &a, &p.nonce, &p.nonce_len) < 0) goto done;
    p.fields = a.fields;
    p.nfields = a.nfields;

    /* The builder: every check, then the hash. */
    if (pylon_idv_page_prepare(&p, signer, signer != NULL ? NULL : (s.p != NULL ? s.p : ""),
                        (size_t)s.n, &err) != PYLON_IDV_PAGE_OK) {
        page_raise(st, fname, &err);
        goto done;
    }
    if (kind == PAGE_DICT) { res = page_dict(&p, &a); goto done; }
    size = pylon_idv_page_size(&p, kind);
    if (size == 0 || size > (size_t)PY_SSIZE_T_MAX) { PyErr_NoMemory(); goto done; }
    if (size > sizeof stack && (out = (char *)PyMem_Malloc(size)) == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    n = pylon_idv_page_render(out, &p, kind);
    res = page_result(st, out, n, kind != PYLON_IDV_PAGE_JSON);
    if (out != stack) PyMem_Free(out);
done:
    buf_release(&s);
    page_args_free(&a);
    return res;
}

PyDoc_STRVAR(chat_settings_doc,
"chat_settings($module, /, email, secret_or_signer, *, app_id, **fields)\n--\n\n"
"Return the widget's chat settings as a dict: app_id, email, email_hash, then the fields\n"
"sorted by name (their UTF-8 bytes).\n\n"
"email is the user's email as a str, signed exactly as given (no trimming or lower-casing),\n"
"or None for a visitor who is not logged in (then only app_id and the fields).\n"
"secret_or_signer is the identity secret (hex, str or bytes) or, better, a Signer made once\n"
"at start-up. app_id is a str of A-Z a-z 0-9 _ -. fields are any other settings\n"
"(name=\"Jane Doe\"): str, bool, int within +-(2**53 - 1) (pass larger ones as str), or a\n"
"finite float; None drops the field. email, email_hash and nonce are never fields, and\n"
"__proto__ is refused.\n\n"
"Raises TypeError for a wrong type or a reserved name, ValueError for a rule broken (the\n"
"message names the field and the rule, never the value), InvalidSecretError for a bad secret\n"
"(checked also for a visitor). Every check happens before anything is signed. The same\n"
"builder, in C, writes chat_settings_json(), _script() and _data() and the Lua functions.");

PyDoc_STRVAR(chat_settings_json_doc,
"chat_settings_json($module, /, email, secret_or_signer, *, app_id, **fields)\n--\n\n"
"Return the chat settings as JSON text, for a single-page app's endpoint: the same\n"
"arguments, checks and key order as chat_settings(). Strings are escaped so that the text is\n"
"also safe inside HTML (< > & U+2028 U+2029 as \\u escapes); numbers are written as\n"
"JavaScript writes them (the shortest form that reads back as the same float).");

PyDoc_STRVAR(chat_settings_script_doc,
"chat_settings_script($module, /, email, secret_or_signer, *, app_id, nonce=None, **fields)\n"
"--\n\n"
"Return one inline <script> element that sets window.pylon.chat_settings:\n\n"
"    <script nonce=\"N\">(function(w,O){...p.chat_settings={...}})(window,Object);</script>\n\n"
"(window.pylon is replaced when it is not a plain object: a named element never derails it).\n\n"
"(no nonce attribute without a nonce). nonce is your Content-Security-Policy nonce, 1 to 256\n"
"base64 characters (A-Z a-z 0-9 + / = _ -). The JSON is that of chat_settings_json(), which no\n"
"value can break out of. The result is a pylon_idv.HTML (a str with __html__): Jinja2,\n"
"Django and markupsafe insert it as it is, with no Markup() or mark_safe(). Put it before\n"
"widget_script(). Under a policy without nonces, use chat_settings_data() and pylon-chat.js.");

PyDoc_STRVAR(chat_settings_data_doc,
"chat_settings_data($module, /, email, secret_or_signer, *, app_id, **fields)\n--\n\n"
"Return the settings as a data element that never executes, so it passes any\n"
"Content-Security-Policy:\n\n"
"    <script type=\"application/json\" id=\"pylon-chat-settings\">{...}</script>\n\n"
"pylon-chat.js (in static_path(), served from your own origin) reads it, sets\n"
"window.pylon.chat_settings and loads the widget, so the page works under exactly\n"
"script-src 'self' https://widget.usepylon.com. A pylon_idv.HTML, like chat_settings_script().");

PyDoc_STRVAR(widget_script_doc,
"widget_script($module, /, app_id, *, nonce=None)\n--\n\n"
"Return an inline <script> that loads the Pylon widget for app_id: it defines the\n"
"window.Pylon command queue (window.Pylon(\"show\") works before the widget has loaded) and\n"
"adds <script async src=\"https://widget.usepylon.com/widget/APP_ID\">, which gets this\n"
"element's nonce. app_id is a str of A-Z a-z 0-9 _ -; nonce as for chat_settings_script().\n"
"A pylon_idv.HTML. Put it after chat_settings_script().");

static PyObject *m_chat_settings(PyObject *module, PyObject *args, PyObject *kwargs)
{
    return page_call(module, "chat_settings", args, kwargs, PAGE_DICT);
}

static PyObject *m_chat_settings_json(PyObject *module, PyObject *args, PyObject *kwargs)
{
    return page_call(module, "chat_settings_json", args, kwargs, PYLON_IDV_PAGE_JSON);
}

static PyObject *m_chat_settings_script(PyObject *module, PyObject *args, PyObject *kwargs)
{
    return page_call(module, "chat_settings_script", args, kwargs, PYLON_IDV_PAGE_SCRIPT);
}

static PyObject *m_chat_settings_data(PyObject *module, PyObject *args, PyObject *kwargs)
{
    return page_call(module, "chat_settings_data", args, kwargs, PYLON_IDV_PAGE_DATA);
}

/* widget_script() and script_tag(): one string argument and an optional nonce, through the
 * core's check / size / render trio for that tag. */
typedef struct tag_form {
    const char *fname, *argname;
    int (*check)(const char *, size_t, const char *, size_t, pylon_idv_page_error *);
    size_t (*size)(size_t, size_t);
    size_t (*render)(char *, const char *, size_t, const char *, size_t);
} tag_form;

static const tag_form WIDGET = { "widget_script", "app_id", pylon_idv_widget_check,
                                 pylon_idv_widget_size, pylon_idv_widget_render };
static const tag_form SCRIPT_TAG = { "script_tag", "src", pylon_idv_script_tag_check,
                                     pylon_idv_script_tag_size, pylon_idv_script_tag_render };

static PyObject *tag_call(PyObject *module, const tag_form *t, PyObject *args, PyObject *kwargs)
{
    char *kwlist[3];
    char format[32];
    module_state *st = get_state(module);
    PyObject *value = NULL, *nonce = Py_None, *res = NULL;
    page_args a;
    pylon_idv_page_error err;
    const char *vp, *np;
    size_t vn, nn, size, n;
    char *out;

    if (st == NULL) return NULL;
    kwlist[0] = (char *)t->argname; kwlist[1] = (char *)"nonce"; kwlist[2] = NULL;
    snprintf(format, sizeof format, "O|$O:%s", t->fname);
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, format, kwlist, &value, &nonce))
        return NULL;
    memset(&a, 0, sizeof a);
    if ((a.owners = PyList_New(0)) == NULL) return NULL;
    if (page_str_arg(t->fname, t->argname, value, 0, &a, &vp, &vn) < 0) goto done;
    if (page_str_arg(t->fname, "nonce", nonce, 1, &a, &np, &nn) < 0) goto done;
    if (t->check(vp, vn, np, nn, &err) != PYLON_IDV_PAGE_OK) {
        page_raise(st, t->fname, &err);
        goto done;
    }
    size = t->size(vn, nn);
    if (size == 0 || (out = (char *)PyMem_Malloc(size)) == NULL) { PyErr_NoMemory(); goto done; }
    n = t->render(out, vp, vn, np, nn);
    res = page_result(st, out, n, 1);
    PyMem_Free(out);
done:
    page_args_free(&a);
    return res;
}

static PyObject *m_widget_script(PyObject *module, PyObject *args, PyObject *kwargs)
{
    return tag_call(module, &WIDGET, args, kwargs);
}

PyDoc_STRVAR(script_tag_doc,
"script_tag($module, /, src, *, nonce=None)\n--\n\n"
"Return the tag that loads pylon-chat.js from your own origin: <script src=\"SRC\"></script>,\n"
"with nonce=\"N\" when given one (checked as for chat_settings_script()). src is a str, a\n"
"non-empty URL with no space or control character, escaped as an HTML attribute. Put it\n"
"after chat_settings_data(). A pylon_idv.HTML.");

static PyObject *m_script_tag(PyObject *module, PyObject *args, PyObject *kwargs)
{
    return tag_call(module, &SCRIPT_TAG, args, kwargs);
}

/* ---------------------------------------------------------------------- module */

static PyMethodDef module_methods[] = {
    { "sign", FN(m_sign), FASTKW, sign_doc },
    { "verify", FN(m_verify), FASTKW, verify_doc },
    { "generate_secret", m_generate_secret, METH_NOARGS, generate_secret_doc },
    { "_diagnose", FN(m_diagnose), FASTKW, diagnose_doc },
    { "_json_script_string", m_json_script_string, METH_O, json_script_string_doc },
    { "chat_settings", FN(m_chat_settings), METH_VARARGS | METH_KEYWORDS, chat_settings_doc },
    { "chat_settings_json", FN(m_chat_settings_json), METH_VARARGS | METH_KEYWORDS,
      chat_settings_json_doc },
    { "chat_settings_script", FN(m_chat_settings_script), METH_VARARGS | METH_KEYWORDS,
      chat_settings_script_doc },
    { "chat_settings_data", FN(m_chat_settings_data), METH_VARARGS | METH_KEYWORDS,
      chat_settings_data_doc },
    { "widget_script", FN(m_widget_script), METH_VARARGS | METH_KEYWORDS, widget_script_doc },
    { "script_tag", FN(m_script_tag), METH_VARARGS | METH_KEYWORDS, script_tag_doc },
    { NULL, NULL, 0, NULL }
};

PyDoc_STRVAR(Error_doc,
"Base class of the errors raised by pylon_idv (other than TypeError and\n"
"UnicodeEncodeError for arguments of the wrong type or encoding).");
PyDoc_STRVAR(InvalidSecretError_doc,
"The identity secret is malformed: empty (or only whitespace), an odd number of hex\n"
"digits, or a character that is not a hex digit (the message gives its position, never\n"
"the secret). Also a ValueError.");

static int module_exec(PyObject *module)
{
    module_state *st = get_state(module);
    PyObject *bases;
    int i;

    for (i = 0; i < KW_COUNT; i++) {
        st->kw[i] = PyUnicode_InternFromString(kw_text[i]);
        if (st->kw[i] == NULL) return -1;
    }
    st->Error = PyErr_NewExceptionWithDoc("pylon_idv.Error", Error_doc, NULL, NULL);
    if (st->Error == NULL) return -1;
    bases = PyTuple_Pack(2, st->Error, PyExc_ValueError);
    if (bases == NULL) return -1;
    st->InvalidSecretError = PyErr_NewExceptionWithDoc("pylon_idv.InvalidSecretError",
                                                       InvalidSecretError_doc, bases, NULL);
    Py_DECREF(bases);
    if (st->InvalidSecretError == NULL) return -1;
    st->SignerType = (PyTypeObject *)PyType_FromModuleAndSpec(module, &Signer_spec, NULL);
    if (st->SignerType == NULL) return -1;
    st->HTMLType = (PyTypeObject *)PyType_FromModuleAndSpec(module, &HTML_spec,
                                                            (PyObject *)&PyUnicode_Type);
    if (st->HTMLType == NULL) return -1;

    if (PyModule_AddObjectRef(module, "Error", st->Error) < 0) return -1;
    if (PyModule_AddObjectRef(module, "InvalidSecretError", st->InvalidSecretError) < 0)
        return -1;
    if (PyModule_AddType(module, st->SignerType) < 0) return -1;
    if (PyModule_AddType(module, st->HTMLType) < 0) return -1;
    if (PyModule_AddStringConstant(module, "__version__", pylon_idv_version()) < 0) return -1;
    if (PyModule_AddIntConstant(module, "HASH_HEX_LEN", PYLON_IDV_HASH_HEX_LEN) < 0) return -1;
    if (PyModule_AddIntConstant(module, "_GIL_RELEASE_MIN", PI_GIL_RELEASE_MIN) < 0) return -1;
    return 0;
}

static int module_traverse(PyObject *module, visitproc visit, void *arg)
{
    module_state *st = get_state(module);
    int i;
    if (st == NULL) return 0;
    Py_VISIT(st->Error);
    Py_VISIT(st->InvalidSecretError);
    Py_VISIT(st->SignerType);
    Py_VISIT(st->HTMLType);
    for (i = 0; i < KW_COUNT; i++) Py_VISIT(st->kw[i]);
    return 0;
}

static int module_clear(PyObject *module)
{
    module_state *st = get_state(module);
    int i;
    if (st == NULL) return 0;
    Py_CLEAR(st->Error);
    Py_CLEAR(st->InvalidSecretError);
    Py_CLEAR(st->SignerType);
    Py_CLEAR(st->HTMLType);
    for (i = 0; i < KW_COUNT; i++) Py_CLEAR(st->kw[i]);
    return 0;
}

static void module_free(void *module)
{
    (void)module_clear((PyObject *)module);
}

PyDoc_STRVAR(module_doc,
"Identity-verification hashes for the Pylon chat widget (C core, stable ABI).\n\n"
"email_hash = lowercase_hex(HMAC-SHA256(key = bytes.fromhex(secret), msg = email)).\n"
"Import the public package, pylon_idv, rather than this module.");

/*
 * Sub-interpreters. Multi-phase init already makes the module safe to import in several
 * interpreters, and on 3.12+ a module without a Py_mod_multiple_interpreters slot is taken
 * as "supported" (shared GIL). The module also supports a per-interpreter GIL (no global
 * Python state; the core's only globals are its thread-safe per-thread cache), but the slot
 * that says so exists from 3.12 and is in the limited API only from 3.12: an older CPython
 * rejects an unknown slot ID with SystemError. So:
 *  - compiled without Py_LIMITED_API, or for the 3.12+ limited API, the slot is static;
 *  - in the cp310-abi3 build, two definitions are compiled and PyInit picks the one with the
 *    slot only when the running interpreter is 3.12 or newer. The slot's number and value
 *    are part of the 3.12 stable ABI (they cannot change), which is what makes this sound.
 * Free threading (Py_mod_gil) is not declared: abi3 extensions do not load on free-threaded
 * builds, and a non-limited build would need a review of the GIL-less paths first.
 */
#if defined(Py_mod_multiple_interpreters)
#  define PI_MOD_MULTIPLE_INTERPRETERS Py_mod_multiple_interpreters
#  define PI_PER_INTERPRETER_GIL Py_MOD_PER_INTERPRETER_GIL_SUPPORTED
#  define PI_STATIC_SUBINTERPRETER_SLOT 1
#else
#  define PI_MOD_MULTIPLE_INTERPRETERS 3                 /* Include/moduleobject.h, 3.12 */
#  define PI_PER_INTERPRETER_GIL ((void *)2)
#  define PI_STATIC_SUBINTERPRETER_SLOT 0
#endif

static PyModuleDef_Slot module_slots_isolated[] = {
    { Py_mod_exec, (void *)module_exec },
    { PI_MOD_MULTIPLE_INTERPRETERS, PI_PER_INTERPRETER_GIL },
    { 0, NULL }
};

static struct PyModuleDef module_def_isolated = {
    PyModuleDef_HEAD_INIT, "_pylon_idv", module_doc, sizeof(module_state),
    module_methods, module_slots_isolated, module_traverse, module_clear, module_free
};

#if !PI_STATIC_SUBINTERPRETER_SLOT
static PyModuleDef_Slot module_slots[] = {
    { Py_mod_exec, (void *)module_exec },
    { 0, NULL }
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_pylon_idv", module_doc, sizeof(module_state),
    module_methods, module_slots, module_traverse, module_clear, module_free
};

/* The running interpreter's (major, minor) >= (3, 12), from Py_GetVersion() ("3.12.1 (...").
 * Py_Version, the numeric form, is in the limited API only from 3.11. */
static int runtime_is_312_or_newer(void)
{
    const char *v = Py_GetVersion();
    char *end;
    long major = strtol(v, &end, 10), minor = 0;
    if (*end == '.') minor = strtol(end + 1, NULL, 10);
    return major > 3 || (major == 3 && minor >= 12);
}
#endif

PyMODINIT_FUNC PyInit__pylon_idv(void)
{
#if PI_STATIC_SUBINTERPRETER_SLOT
    return PyModuleDef_Init(&module_def_isolated);
#else
    return PyModuleDef_Init(runtime_is_312_or_newer() ? &module_def_isolated : &module_def);
#endif
}
