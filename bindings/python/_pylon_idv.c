/*
 * _pylon_idv.c -- the CPython binding: a thin translation layer over the C core. This file
 * holds the module (state, set-up); args.c, hash.c and page.c the rest (_pylon_idv.h).
 *
 * Built against the stable ABI (bindings/python/CMakeLists.txt: USE_SABI 3.10, that is
 * Py_LIMITED_API=0x030A0000), so one cp310-abi3 wheel serves every CPython from 3.10 on.
 * Multi-phase initialisation: all state (the exceptions, the Signer type, interned keyword
 * names) lives in the module state, the Signer type is a heap type, nothing is static but
 * constants; so every (sub)interpreter
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
 * _diagnose wraps pylon_idv_diagnose (pylon_idv.diagnose makes a Diagnosis of it). The page functions
 * (chat_settings*, widget_script) are C functions over the core's one settings builder
 * (settings.c, shared with Lua): Python writes no JSON and makes no check of its own.
 *
 * Hot path (sign, Signer.sign): all-positional calls skip keyword parsing and even the
 * module-state lookup (needed only for keyword names and errors); bench/bench_python.py
 * measures it.
 */

#include "_pylon_idv.h"

const char *const kw_text[KW_COUNT] = { "email", "secret_hex", "email_hash", "key_bytes",
                                        "previous", "secret_or_signer", "app_id", "nonce",
                                        "src" };

/* ---------------------------------------------------------------------- module */


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
    st->SignerType = (PyTypeObject *)PyType_FromModuleAndSpec(module, &pi_signer_spec, NULL);
    if (st->SignerType == NULL) return -1;
    st->HTMLType = (PyTypeObject *)PyType_FromModuleAndSpec(module, &pi_html_spec,
                                                            (PyObject *)&PyUnicode_Type);
    if (st->HTMLType == NULL) return -1;

    if (PyModule_AddObjectRef(module, "Error", st->Error) < 0) return -1;
    if (PyModule_AddObjectRef(module, "InvalidSecretError", st->InvalidSecretError) < 0)
        return -1;
    if (PyModule_AddFunctions(module, pi_hash_methods) < 0) return -1;
    if (PyModule_AddFunctions(module, pi_page_methods) < 0) return -1;
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
 * Python state; the core's only global is its SHA-256 path, chosen once when it loads), but
 * the slot that says so exists from 3.12 and is in the limited API only from 3.12: an older CPython
 * rejects an unknown slot ID with SystemError. So:
 *  - compiled without Py_LIMITED_API, or for the 3.12+ limited API, the slot is static;
 *  - in the cp310-abi3 build, two definitions are compiled and PyInit picks the one with the
 *    slot only when the running interpreter is 3.12 or newer. The slot's number and value
 *    are part of the 3.12 stable ABI (they cannot change), which is what makes this sound.
 * Free threading (Py_mod_gil) is not declared: abi3 extensions do not load on free-threaded
 * builds, and a non-limited build would need a review of the GIL-less paths first.
 */
/* (Not by Py_mod_multiple_interpreters alone: 3.15's headers define the slot ID for the 3.10
 * limited API too, but not its value Py_MOD_PER_INTERPRETER_GIL_SUPPORTED.) */
#if defined(Py_mod_multiple_interpreters) && defined(Py_MOD_PER_INTERPRETER_GIL_SUPPORTED) \
    && (!defined(Py_LIMITED_API) || Py_LIMITED_API + 0 >= 0x030C0000)
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
    NULL, module_slots_isolated, module_traverse, module_clear, module_free
};

#if !PI_STATIC_SUBINTERPRETER_SLOT
static PyModuleDef_Slot module_slots[] = {
    { Py_mod_exec, (void *)module_exec },
    { 0, NULL }
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_pylon_idv", module_doc, sizeof(module_state),
    NULL, module_slots, module_traverse, module_clear, module_free
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

