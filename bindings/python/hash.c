/* hash.c -- sign, verify, generate_secret, _diagnose and Signer. */
#include "_pylon_idv.h"

#include <openssl/crypto.h>   /* OPENSSL_cleanse */

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
    static const pi_sig sig = { "sign", names, 2, 2, 2, 0 };
    PyObject *a[2], *res = NULL;
    pi_buf e = { 0 }, s = { 0 };
    char hash[PYLON_IDV_HASH_HEX_SIZE];
    int rc;

    if (parse_args(&sig, args, nargs, kwnames, module, 0, a) < 0) return NULL;
    if (buf_email(a[0], &e, "sign") < 0) goto done;
    if (buf_secret(a[1], &s, "sign", "secret_hex") < 0) goto done;
    if (buf_freeze_for(e.n, &e, &s, NULL) < 0) goto done;
    PI_MAYBE_WITHOUT_GIL(e.n, rc = pylon_idv_sign(hash, e.p, (size_t)e.n, s.p, (size_t)s.n));
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
    static const pi_sig sig = { "verify", names, 3, 3, 3, 0 };
    PyObject *a[3], *res = NULL;
    pi_buf e = { 0 }, s = { 0 }, h = { 0 };
    int rc;

    if (parse_args(&sig, args, nargs, kwnames, module, 0, a) < 0) return NULL;
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
    if (buf_freeze_for(e.n, &e, &s, &h) < 0) goto done;
    PI_MAYBE_WITHOUT_GIL(e.n, rc = pylon_idv_verify(e.p, (size_t)e.n, s.p, (size_t)s.n,
                                                    h.p, (size_t)h.n));
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
    static const pi_sig sig = { "diagnose", names, 3, 3, 3, 0 };
    PyObject *a[3], *res = NULL;
    pi_buf e = { 0 }, s = { 0 }, h = { 0 };
    int cause;

    if (parse_args(&sig, args, nargs, kwnames, module, 0, a) < 0) return NULL;
    if (buf_email(a[0], &e, "diagnose") < 0) goto done;
    if (buf_secret(a[1], &s, "diagnose", "secret_hex") < 0) goto done;
    if (buf_hash(a[2], &h, "diagnose") < 0) goto done;
    if (buf_freeze_for(e.n, &e, &s, &h) < 0) goto done;
    PI_MAYBE_WITHOUT_GIL(e.n, cause = pylon_idv_diagnose(e.p, (size_t)e.n, s.p, (size_t)s.n,
                                                         h.p, (size_t)h.n));
    res = Py_BuildValue("(ss)", pylon_idv_cause_name(cause), pylon_idv_cause_message(cause));
done:
    buf_release(&e);
    buf_release(&s);
    buf_release(&h);
    return res;
}

/* ---------------------------------------------------------------------- Signer */

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
    static const int names[] = { KW_SECRET_HEX, KW_PREVIOUS };
    static const pi_sig sig = { "Signer", names, 2, 1, 1, 0 };
    module_state *st = state_of_type(type);
    PyObject *a[2], *secret, *previous, *item;
    pylon_idv_signer *signer = NULL;
    pi_buf s = { 0 };
    Py_ssize_t k = 0;
    int rc;

    if (st == NULL) return NULL;
    if (parse_args_tuple(&sig, st, args, kwds, a) < 0) return NULL;
    secret = a[0];
    previous = a[1];
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
    static const pi_sig sig = { "from_key", names, 1, 1, 1, 0 };
    PyTypeObject *type = (PyTypeObject *)cls;
    module_state *st = state_of_type(type);
    pylon_idv_signer *signer = NULL;
    PyObject *a[1];
    pi_buf k = { 0 };
    int rc, r;

    if (st == NULL) return NULL;
    if (parse_args_kw(&sig, st, args, nargs, kwnames, a, NULL, NULL) < 0) return NULL;
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
    static const pi_sig sig = { "sign", names, 1, 1, 1, 0 };
    PyObject *a[1], *res = NULL;
    pi_buf e = { 0 };
    char hash[PYLON_IDV_HASH_HEX_SIZE];
    int rc = PYLON_IDV_OK;

    if (parse_args(&sig, args, nargs, kwnames, self, 1, a) < 0) return NULL;
    if (buf_email(a[0], &e, "sign") < 0) return NULL;
    if (buf_freeze_for(e.n, &e, NULL, NULL) < 0) goto done;
    PI_MAYBE_WITHOUT_GIL(e.n, rc = pylon_idv_signer_sign(SIGNER(self)->signer, hash, e.p,
                                                         (size_t)e.n));
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
static const int match_names[] = { KW_EMAIL, KW_EMAIL_HASH };
static const pi_sig verify_sig = { "verify", match_names, 2, 2, 2, 0 };
static const pi_sig match_sig = { "match", match_names, 2, 2, 2, 0 };

static int signer_match(PyObject *self, const pi_sig *sig, PyObject *const *args,
                        Py_ssize_t nargs, PyObject *kwnames)
{
    const char *fname = sig->fname;
    PyObject *a[2];
    pi_buf e = { 0 }, h = { 0 };
    int idx = -2;
    size_t which = 0;

    if (parse_args(sig, args, nargs, kwnames, self, 1, a) < 0) return -2;
    if (buf_email(a[0], &e, fname) < 0) goto done;
    if (buf_hash(a[1], &h, fname) < 0) goto done;
    if (buf_freeze_for(e.n, &e, &h, NULL) < 0) goto done;
    PI_MAYBE_WITHOUT_GIL(e.n, idx = pylon_idv_signer_match(SIGNER(self)->signer, e.p,
                                                           (size_t)e.n, h.p, (size_t)h.n,
                                                           &which));
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
    int idx = signer_match(self, &verify_sig, args, nargs, kwnames);
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
    int idx = signer_match(self, &match_sig, args, nargs, kwnames);
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

/* No Py_TPFLAGS_BASETYPE: a Signer is final (and immutable: the type's attributes too). */
PyType_Spec pi_signer_spec = {
    "pylon_idv.Signer", sizeof(SignerObject), 0, PI_TPFLAGS, Signer_slots
};


PyMethodDef pi_hash_methods[] = {
    { "sign", FN(m_sign), FASTKW, sign_doc },
    { "verify", FN(m_verify), FASTKW, verify_doc },
    { "generate_secret", m_generate_secret, METH_NOARGS, generate_secret_doc },
    { "_diagnose", FN(m_diagnose), FASTKW, diagnose_doc },
    { NULL, NULL, 0, NULL }
};
