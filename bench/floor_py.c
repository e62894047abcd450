/*
 * floor_py.c -- the floor behind a Python call: the least a Python binding's sign can cost.
 * A limited-API (abi3) module, _pylon_idv_floor, built by bench/bench_python.sh:
 *
 *   setup(secret_hex, email)   prebuild the floor's states and block (bench/floor.h)
 *   sign(email, secret_hex)    what pylon_idv.sign's shell does -- both arguments read as
 *                              UTF-8, the 64 digits returned as a new str -- around the
 *                              stateless C floor (the secret's text decoded, both key blocks
 *                              and the message in four compressions, hex) instead of the
 *                              library: the one-shot's ceiling
 *   sign1(email)               the Signer.sign shape around the C floor (two compressions in
 *                              registers + SIMD hex, from the prebuilt key states).
 * No check, no error path: a floor, not a signer (it ignores the email's bytes, as the C floor
 * hashes its prebuilt block).
 */
#define Py_LIMITED_API 0x030a0000
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include "floor.h"

static floor_fn fn, fn_stateless;

static PyObject *f_setup(PyObject *m, PyObject *const *args, Py_ssize_t nargs)
{
    unsigned char key[32];
    Py_ssize_t ns, ne, i;
    const char *s, *e;
    (void)m;
    if (nargs != 2) { PyErr_SetString(PyExc_TypeError, "setup(secret_hex, email)"); return NULL; }
    if ((s = PyUnicode_AsUTF8AndSize(args[0], &ns)) == NULL) return NULL;
    if ((e = PyUnicode_AsUTF8AndSize(args[1], &ne)) == NULL) return NULL;
    if (ns != 64 || ne > 55) { PyErr_SetString(PyExc_ValueError, "64 hex digits, email <= 55 bytes"); return NULL; }
    for (i = 0; i < 32; i++) {
        unsigned hi = (unsigned)s[2 * i], lo = (unsigned)s[2 * i + 1];
        key[i] = (unsigned char)(((hi <= '9' ? hi - '0' : (hi | 32) - 'a' + 10) << 4)
                                 | (lo <= '9' ? lo - '0' : (lo | 32) - 'a' + 10));
    }
    floor_setup(key, e, (size_t)ne);
    fn = floor_best();
    fn_stateless = floor_stateless_best();
    return PyBool_FromLong(floor_uses_shani());
}

/* METH_FASTCALL | METH_KEYWORDS, as the binding's functions (its fast path: no keywords) */
static PyObject *f_sign(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    Py_ssize_t ne, ns;
    (void)m;
    if (nargs != 2 || kw != NULL) { PyErr_SetString(PyExc_TypeError, "sign(email, secret_hex)"); return NULL; }
    if (PyUnicode_AsUTF8AndSize(args[0], &ne) == NULL) return NULL;
    if ((fl_secret = PyUnicode_AsUTF8AndSize(args[1], &ns)) == NULL) return NULL;
    if (ns != 64) { PyErr_SetString(PyExc_ValueError, "64 hex digits"); return NULL; }
    fn_stateless();
    return PyUnicode_DecodeLatin1(out, 64, NULL);
}

static PyObject *f_sign1(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kw)
{
    Py_ssize_t ne;
    (void)m;
    if (nargs != 1 || kw != NULL) { PyErr_SetString(PyExc_TypeError, "sign1(email)"); return NULL; }
    if (PyUnicode_AsUTF8AndSize(args[0], &ne) == NULL) return NULL;
    fn();
    return PyUnicode_DecodeLatin1(out, 64, NULL);
}

static PyMethodDef methods[] = {
    {"setup", (PyCFunction)(void (*)(void))f_setup, METH_FASTCALL, NULL},
    {"sign", (PyCFunction)(void (*)(void))f_sign, METH_FASTCALL | METH_KEYWORDS, NULL},
    {"sign1", (PyCFunction)(void (*)(void))f_sign1, METH_FASTCALL | METH_KEYWORDS, NULL},
    {NULL, NULL, 0, NULL}
};

static struct PyModuleDef mod = { PyModuleDef_HEAD_INIT, "_pylon_idv_floor", NULL, 0, methods,
                                  NULL, NULL, NULL, NULL };

PyMODINIT_FUNC PyInit__pylon_idv_floor(void) { return PyModule_Create(&mod); }
