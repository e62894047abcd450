/* page.c -- the page: pylon_idv.HTML, chat_settings*, widget_script, script_tag, each a
 * translation of its arguments into the core's one page builder (no HTML written here). */
#include "_pylon_idv.h"

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

PyType_Spec pi_html_spec = {
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

/* a's owners list, and room for n fields (none for n == 0); raises and returns -1 on failure
 * (page_args_free releases what was made). */
static int page_args_init(page_args *a, size_t n)
{
    memset(a, 0, sizeof *a);
    if ((a->owners = PyList_New(0)) == NULL) return -1;
    if (n == 0) return 0;
    a->fields = (pylon_idv_field *)PyMem_Calloc(n, sizeof *a->fields);
    a->values = (PyObject **)PyMem_Calloc(n, sizeof *a->values);
    if (a->fields == NULL || a->values == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

/* fields[i] from a keyword (key) and its value, as the core's builder takes it. */
static int page_field(const char *fname, page_args *a, size_t i, PyObject *key,
                      PyObject *value)
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
        char label[96];
        pylon_idv_field_label(label, sizeof label, f->key, f->key_len);
        page_type_error(fname, label, "str, int, float, bool or None", value);
        return -1;
    }
    return 0;
}

/* Sort the call into a page_args by the one argument parser: email and secret_or_signer
 * (by position or keyword), app_id (and nonce, for the script form) by keyword, and every
 * other keyword a field (**fields). */
static const int page_names[] = { KW_EMAIL, KW_SECRET_OR_SIGNER, KW_APP_ID, KW_NONCE };

static int page_parse(const pi_sig *sig, const module_state *st, PyObject *const *args,
                      Py_ssize_t nargs, PyObject *kwnames, page_args *a)
{
    const char *fname = sig->fname;
    PyObject *out[4], *key, *value;
    Py_ssize_t *rest = NULL, nrest = 0, nkw, r;
    size_t i = 0;
    int rc = -1;

    nkw = kwnames != NULL ? PyTuple_Size(kwnames) : 0;
    if (page_args_init(a, nkw > 0 ? (size_t)nkw : 0) < 0 || nkw < 0) return -1;
    if (nkw > 0 && (rest = (Py_ssize_t *)PyMem_Calloc((size_t)nkw, sizeof *rest)) == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if (parse_args_kw(sig, st, args, nargs, kwnames, out, rest, &nrest) < 0) goto done;
    a->email = out[0];
    a->secret = out[1];
    a->app_id = out[2];
    a->nonce = sig->n > 3 ? out[3] : NULL;
    for (r = 0; r < nrest; r++) {
        key = PyTuple_GetItem(kwnames, rest[r]);
        value = args[nargs + rest[r]];
        if (key == NULL || page_field(fname, a, i, key, value) < 0) goto done;
        i++;
    }
    a->nfields = i;
    rc = 0;
done:
    PyMem_Free(rest);
    return rc;
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

/* The page of a parsed call: every check, the hash, then the form (kind) rendered, with tail
 * (may be empty) appended to it in the same string. Frees a. */
static PyObject *page_build(module_state *st, const char *fname, page_args *a_, int kind,
                            const char *tail, size_t tail_len)
{
    page_args a = *a_;
    pylon_idv_page p;
    pylon_idv_page_error err;
    pi_buf s = { 0 };
    const pylon_idv_signer *signer = NULL;
    PyObject *res = NULL;
    char stack[2048], *out = stack;
    size_t size, n;

    memset(&p, 0, sizeof p);
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
    if (size == 0 || tail_len > (size_t)PY_SSIZE_T_MAX - size) { PyErr_NoMemory(); goto done; }
    size += tail_len;
    if (size > sizeof stack && (out = (char *)PyMem_Malloc(size)) == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    n = pylon_idv_page_render(out, &p, kind);
    if (tail_len > 0) memcpy(out + n, tail, tail_len);
    res = page_result(st, out, n + tail_len, kind != PYLON_IDV_PAGE_JSON);
    if (out != stack) PyMem_Free(out);
done:
    buf_release(&s);
    page_args_free(&a);
    return res;
}

static PyObject *page_call(PyObject *module, const pi_sig *sig, PyObject *const *args,
                           Py_ssize_t nargs, PyObject *kwnames, int kind)
{
    module_state *st = get_state(module);
    page_args a;

    if (st == NULL) return NULL;
    if (page_parse(sig, st, args, nargs, kwnames, &a) < 0) {
        page_args_free(&a);
        return NULL;
    }
    return page_build(st, sig->fname, &a, kind, "", 0);
}

PyDoc_STRVAR(data_tag_doc,
"_data_tag($module, tail, email, signer, app_id, fields, /)\n--\n\n"
"chat_settings_data(email, signer, app_id=app_id, **fields) + tail, built as one\n"
"pylon_idv.HTML: for pylon_idv._web's data mode, whose tail (the pylon-chat.js tag) is made\n"
"once. fields is a dict (or None); every check is chat_settings_data()'s.");

static PyObject *m_data_tag(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    module_state *st = get_state(module);
    PyObject *key, *value, *fields;
    Py_ssize_t pos = 0, nf;
    const char *tail;
    Py_ssize_t tail_len;
    page_args a;
    size_t i = 0;

    if (st == NULL) return NULL;
    if (nargs != 5) {
        PyErr_Format(PyExc_TypeError, "_data_tag() takes exactly 5 arguments (%zd given)",
                     nargs);
        return NULL;
    }
    fields = args[4];
    if (!PyUnicode_Check(args[0]) || (fields != Py_None && !PyDict_Check(fields))) {
        PyErr_SetString(PyExc_TypeError, "_data_tag(): tail must be a str, fields a dict");
        return NULL;
    }
    if ((tail = PyUnicode_AsUTF8AndSize(args[0], &tail_len)) == NULL) return NULL;
    nf = fields == Py_None ? 0 : PyDict_Size(fields);
    if (page_args_init(&a, (size_t)nf) < 0) {
        page_args_free(&a);
        return NULL;
    }
    a.email = args[1];
    a.secret = args[2];
    a.app_id = args[3];
    while (nf > 0 && PyDict_Next(fields, &pos, &key, &value)) {
        if (!PyUnicode_Check(key))
            PyErr_SetString(PyExc_TypeError, "chat_settings_data(): field names must be str");
        if (!PyUnicode_Check(key) || page_field("chat_settings_data", &a, i, key, value) < 0) {
            page_args_free(&a);
            return NULL;
        }
        i++;
    }
    a.nfields = i;
    return page_build(st, "chat_settings_data", &a, PYLON_IDV_PAGE_DATA, tail,
                      (size_t)tail_len);
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

static PyObject *m_chat_settings(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
                                 PyObject *kwnames)
{
    static const pi_sig sig = { "chat_settings", page_names, 3, 2, 3, 1 };
    return page_call(module, &sig, args, nargs, kwnames, PAGE_DICT);
}

static PyObject *m_chat_settings_json(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
                                      PyObject *kwnames)
{
    static const pi_sig sig = { "chat_settings_json", page_names, 3, 2, 3, 1 };
    return page_call(module, &sig, args, nargs, kwnames, PYLON_IDV_PAGE_JSON);
}

static PyObject *m_chat_settings_script(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
                                        PyObject *kwnames)
{
    static const pi_sig sig = { "chat_settings_script", page_names, 4, 2, 3, 1 };
    return page_call(module, &sig, args, nargs, kwnames, PYLON_IDV_PAGE_SCRIPT);
}

static PyObject *m_chat_settings_data(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
                                      PyObject *kwnames)
{
    static const pi_sig sig = { "chat_settings_data", page_names, 3, 2, 3, 1 };
    return page_call(module, &sig, args, nargs, kwnames, PYLON_IDV_PAGE_DATA);
}

/* widget_script() and script_tag(): one string argument and an optional nonce, through the
 * core's check / size / render trio for that tag. */
typedef struct tag_form {
    pi_sig sig;                      /* the value (app_id or src), then nonce= */
    int (*check)(const char *, size_t, const char *, size_t, pylon_idv_page_error *);
    size_t (*size)(size_t, size_t);
    size_t (*render)(char *, const char *, size_t, const char *, size_t);
} tag_form;

static const int widget_names[] = { KW_APP_ID, KW_NONCE };
static const int script_tag_names[] = { KW_SRC, KW_NONCE };
static const tag_form WIDGET = { { "widget_script", widget_names, 2, 1, 1, 0 },
                                 pylon_idv_widget_check,
                                 pylon_idv_widget_size, pylon_idv_widget_render };
static const tag_form SCRIPT_TAG = { { "script_tag", script_tag_names, 2, 1, 1, 0 },
                                     pylon_idv_script_tag_check,
                                     pylon_idv_script_tag_size, pylon_idv_script_tag_render };

static PyObject *tag_call(PyObject *module, const tag_form *t, PyObject *const *args,
                          Py_ssize_t nargs, PyObject *kwnames)
{
    const char *fname = t->sig.fname;
    module_state *st = get_state(module);
    PyObject *in[2], *res = NULL;
    page_args a;
    pylon_idv_page_error err;
    const char *vp, *np;
    size_t vn, nn, size, n;
    char *out;

    if (st == NULL) return NULL;
    if (parse_args_kw(&t->sig, st, args, nargs, kwnames, in, NULL, NULL) < 0) return NULL;
    if (page_args_init(&a, 0) < 0) return NULL;
    if (page_str_arg(fname, kw_text[t->sig.names[0]], in[0], 0, &a, &vp, &vn) < 0) goto done;
    if (page_str_arg(fname, "nonce", in[1], 1, &a, &np, &nn) < 0) goto done;
    if (t->check(vp, vn, np, nn, &err) != PYLON_IDV_PAGE_OK) {
        page_raise(st, fname, &err);
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

static PyObject *m_widget_script(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
                                 PyObject *kwnames)
{
    return tag_call(module, &WIDGET, args, nargs, kwnames);
}

PyDoc_STRVAR(script_tag_doc,
"script_tag($module, /, src, *, nonce=None)\n--\n\n"
"Return the tag that loads pylon-chat.js from your own origin: <script src=\"SRC\"></script>,\n"
"with nonce=\"N\" when given one (checked as for chat_settings_script()). src is a str, a\n"
"non-empty URL with no space or control character, escaped as an HTML attribute. Put it\n"
"after chat_settings_data(). A pylon_idv.HTML.");

static PyObject *m_script_tag(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
                              PyObject *kwnames)
{
    return tag_call(module, &SCRIPT_TAG, args, nargs, kwnames);
}


PyDoc_STRVAR(csp_sources_doc,
"csp_sources($module, /)\n--\n\n"
"The Content-Security-Policy sources the Pylon widget needs, as Pylon's chat setup page\n"
"lists them: a new dict of directive -> tuple of source expressions, e.g.\n"
"{'script-src': (\"'self'\", 'https://widget.usepylon.com'), ...}, for connect-src,\n"
"script-src, font-src, style-src and img-src. From the C core's one table, which Lua's\n"
"idv.csp_sources() reads too.");

static PyObject *m_csp_sources(PyObject *module, PyObject *unused)
{
    size_t count, i;
    const pylon_idv_csp_source *t = pylon_idv_csp_sources(&count);
    PyObject *res = PyDict_New(), *text = NULL, *list = NULL, *tuple = NULL;
    (void)module; (void)unused;
    if (res == NULL) return NULL;
    for (i = 0; i < count; i++) {
        if ((text = PyUnicode_FromString(t[i].sources)) == NULL) goto fail;
        if ((list = PyUnicode_Split(text, NULL, -1)) == NULL) goto fail;
        if ((tuple = PyList_AsTuple(list)) == NULL) goto fail;
        if (PyDict_SetItemString(res, t[i].directive, tuple) < 0) goto fail;
        Py_CLEAR(text); Py_CLEAR(list); Py_CLEAR(tuple);
    }
    return res;
fail:
    Py_XDECREF(text); Py_XDECREF(list); Py_XDECREF(tuple);
    Py_DECREF(res);
    return NULL;
}


PyDoc_STRVAR(problems_doc,
"_problems($module, /)\n--\n\n"
"The configuration problems the integrations report, from the C core's one table (Lua's\n"
"idv._problems() reads it too): a new dict of key -> (id, text, fix), text and fix with\n"
"{name} placeholders the integration fills. For pylon_idv._web.");

static PyObject *m_problems(PyObject *module, PyObject *unused)
{
    size_t count, i;
    const pylon_idv_problem *t = pylon_idv_problems(&count);
    PyObject *res = PyDict_New(), *entry;
    (void)module; (void)unused;
    if (res == NULL) return NULL;
    for (i = 0; i < count; i++) {
        entry = Py_BuildValue("(sss)", t[i].id, t[i].text, t[i].fix);
        if (entry == NULL || PyDict_SetItemString(res, t[i].key, entry) < 0) {
            Py_XDECREF(entry);
            Py_DECREF(res);
            return NULL;
        }
        Py_DECREF(entry);
    }
    return res;
}


PyMethodDef pi_page_methods[] = {
    { "chat_settings", FN(m_chat_settings), FASTKW, chat_settings_doc },
    { "chat_settings_json", FN(m_chat_settings_json), FASTKW,
      chat_settings_json_doc },
    { "chat_settings_script", FN(m_chat_settings_script), FASTKW,
      chat_settings_script_doc },
    { "chat_settings_data", FN(m_chat_settings_data), FASTKW,
      chat_settings_data_doc },
    { "widget_script", FN(m_widget_script), FASTKW, widget_script_doc },
    { "script_tag", FN(m_script_tag), FASTKW, script_tag_doc },
    { "csp_sources", FN(m_csp_sources), METH_NOARGS, csp_sources_doc },
    { "_problems", FN(m_problems), METH_NOARGS, problems_doc },
    { "_data_tag", FN(m_data_tag), METH_FASTCALL, data_tag_doc },
    { NULL, NULL, 0, NULL }
};
