/*
 * _pylon_idv.h -- what the files of the CPython extension share (not installed):
 *
 *   _pylon_idv.c   the module: its state, set-up and the table of its functions
 *   args.c         argument plumbing: one keyword parser, byte buffers, the errors raised
 *   hash.c         sign, verify, generate_secret, _diagnose, Signer
 *   page.c         the page: HTML, chat_settings*, widget_script, script_tag
 *
 * Only the core's public header is included: the bindings use no private core header.
 */
#ifndef PYLON_IDV_PY_H
#define PYLON_IDV_PY_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdlib.h>
#include <string.h>

#include "pylon_idv.h"

/* Emails at least this long are hashed with the GIL released (about 1 us of SHA-256 at
 * 4 KiB; below that, releasing and re-taking the GIL costs more than it lets others do). */
#define PI_GIL_RELEASE_MIN 4096

/* The one place the GIL is released: `call` (a statement computing a status from buffers
 * that stay valid: bytes, or bytearrays frozen by buf_freeze) runs without the GIL when the
 * input is at least PI_GIL_RELEASE_MIN bytes, and with it otherwise. */
#define PI_MAYBE_WITHOUT_GIL(n, call) do {                                           \
        if ((n) >= PI_GIL_RELEASE_MIN) {                                             \
            Py_BEGIN_ALLOW_THREADS                                                   \
            call;                                                                    \
            Py_END_ALLOW_THREADS                                                     \
        } else {                                                                     \
            call;                                                                    \
        }                                                                            \
    } while (0)

#define FASTKW (METH_FASTCALL | METH_KEYWORDS)
#define FN(f) ((PyCFunction)(void (*)(void))(f))
#if defined(Py_TPFLAGS_IMMUTABLETYPE)
#  define PI_TPFLAGS (Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE)
#else
#  define PI_TPFLAGS Py_TPFLAGS_DEFAULT
#endif

/* ------------------------------------------------------------------ module state */

enum { KW_EMAIL, KW_SECRET_HEX, KW_EMAIL_HASH, KW_KEY_BYTES, KW_PREVIOUS, KW_SECRET_OR_SIGNER,
       KW_APP_ID, KW_NONCE, KW_SRC, KW_COUNT };
extern const char *const kw_text[KW_COUNT];

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

/* ---------------------------------------------------------------- args.c */

/* A function's signature, for the one argument parser: names[i] (a KW_*) of each of its n
 * parameters in order; the first npos may be given by position, the rest only by keyword;
 * the first nrequired are required. rest: other keywords are the caller's (**fields), not
 * an error. */
typedef struct {
    const char *fname;
    const int *names;
    Py_ssize_t n, npos, nrequired;
    int rest;
} pi_sig;

/* The one argument parser (METH_FASTCALL | METH_KEYWORDS): out[i] gets a borrowed reference
 * for parameter i (NULL when an optional one is omitted); with sig->rest, rest[] gets the
 * index in kwnames of every other keyword and *nrest their count (rest holds room for every
 * keyword). */
int  parse_args_kw(const pi_sig *sig, const module_state *st, PyObject *const *args,
                   Py_ssize_t nargs, PyObject *kwnames, PyObject **out, Py_ssize_t *rest,
                   Py_ssize_t *nrest);
/* The same for a tuple and a dict (tp_new): the call turned into the vector form first. */
int  parse_args_tuple(const pi_sig *sig, const module_state *st, PyObject *args,
                      PyObject *kwds, PyObject **out);
void type_error(const char *fname, const char *arg, const char *expected, PyObject *o);

/* The hot path: every argument by position, nothing to look up, not even the module state
 * (only keyword names need it). owner is the module of a module function, or the instance
 * of a Signer method (is_method), whose type leads to the module state. */
static inline int parse_args(const pi_sig *sig, PyObject *const *args, Py_ssize_t nargs,
                             PyObject *kwnames, PyObject *owner, int is_method, PyObject **out)
{
    const module_state *st;
    Py_ssize_t i;

    if (kwnames == NULL && nargs == sig->n && sig->npos == sig->n) {
        for (i = 0; i < nargs; i++) out[i] = args[i];
        return 0;
    }
    st = is_method ? state_of_type(Py_TYPE(owner)) : get_state(owner);
    if (st == NULL) return -1;
    return parse_args_kw(sig, st, args, nargs, kwnames, out, NULL, NULL);
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

void buf_release(pi_buf *b);
int  buf_freeze(pi_buf *b);
int  buf_from_bytes_like(PyObject *o, pi_buf *b);
int  buf_secret(PyObject *o, pi_buf *b, const char *fname, const char *argname);
int  buf_hash(PyObject *o, pi_buf *b, const char *fname);
PyObject *raise_status(const module_state *st, int rc, const char *secret,
                       size_t secret_len, size_t which);

/* Before PI_MAYBE_WITHOUT_GIL(n, ...): when n is large enough for the GIL to be released,
 * the buffers (any may be NULL) are frozen (a bytearray copied), so that no other thread can
 * resize them under the core. */
static inline int buf_freeze_for(Py_ssize_t n, pi_buf *a, pi_buf *b, pi_buf *c)
{
    if (n < PI_GIL_RELEASE_MIN) return 0;
    return (a != NULL && buf_freeze(a) < 0) || (b != NULL && buf_freeze(b) < 0)
        || (c != NULL && buf_freeze(c) < 0) ? -1 : 0;
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

/* ------------------------------------------------------- hash.c and page.c */

typedef struct {
    PyObject_HEAD
    pylon_idv_signer *signer;                       /* never NULL once constructed */
    char fingerprint[PYLON_IDV_FINGERPRINT_SIZE];
} SignerObject;
#define SIGNER(o) ((SignerObject *)(o))

extern PyType_Spec pi_signer_spec, pi_html_spec;
extern PyMethodDef pi_hash_methods[], pi_page_methods[];

#endif /* PYLON_IDV_PY_H */
