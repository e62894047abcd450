#!/usr/bin/env python3
"""Regenerate the page golden files in tests/vectors/ (read by the C, Python and Lua suites).

    python3 tests/vectors/gen/make_page_vectors.py          # rewrite page.tsv, page_errors.tsv
    python3 tests/vectors/gen/make_page_vectors.py --check  # exit 1 if they are out of date

page.tsv: settings in, exact bytes out, for chat_settings_json / _script / _data and
widget_script. The expected bytes are computed HERE by an independent reference written from
the README ("The page") with the standard library only: hmac for the hash, Python's repr() (the
shortest round-trip digits, David Gay's algorithm) turned into JavaScript's number form, and
the escaping spelled out character by character. None of it calls pylon_idv.

page_errors.tsv: one bad input per rule, with the rule, the exception Python raises, what Lua
does (raise or nil, err), and the exact message (the core's text; Python prefixes it with
"name(): ", Lua with "pylon_idv: "; secret errors are the usual "pylon_idv: invalid secret:
..." in both).

Fields are written `type:key_hex:value`, comma-separated: s (value: hex of the UTF-8
bytes), b (true/false), i (decimal integer), f (a decimal text that reads back as the double,
or nan, inf, -inf), n (none: Python's None; dropped, so Lua leaves the field out). Strings are
hex (email, app_id, nonce; "-" for none: an anonymous visitor, no nonce).
"""
import decimal
import hashlib
import hmac
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
VEC = os.path.dirname(HERE)
SECRET = "8f3a5be1c0d2e4f6a7b9c1d3e5f708192a3b4c5d6e7f8091a2b3c4d5e6f70812"
WIDGET = "https://widget.usepylon.com/widget/"

# --------------------------------------------------------------- the reference


def js_string(s):
    out = ['"']
    for ch in s:
        cp = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch in "<>&\u2028\u2029" or cp < 0x20 or cp == 0x7F:
            out.append("\\u%04x" % cp)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def js_number(x):
    """ECMAScript Number::toString of a finite double, from repr()'s shortest digits; -0."""
    if x == 0:
        return "-0" if str(x).startswith("-") else "0"
    sign = "-" if x < 0 else ""
    t = decimal.Decimal(repr(abs(x))).normalize().as_tuple()
    digits = "".join(map(str, t.digits))
    k = len(digits)
    n = t.exponent + k                               # x = 0.digits * 10^n
    if k <= n <= 21:
        s = digits + "0" * (n - k)
    elif 0 < n <= 21:
        s = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        s = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        s = digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + ("-" if e < 0 else "+") \
            + str(abs(e))
    return sign + s


def js_value(t, v):
    if t == "s":
        return js_string(v)
    if t == "b":
        return "true" if v else "false"
    if t == "i":
        return str(v)
    return js_number(v)


def settings_json(email, app_id, fields):
    parts = ['"app_id":' + js_string(app_id)]
    if email is not None:
        h = hmac.new(bytes.fromhex(SECRET), email.encode(), hashlib.sha256).hexdigest()
        parts += ['"email":' + js_string(email), '"email_hash":"%s"' % h]
    for t, k, v in sorted(fields, key=lambda f: f[1].encode()):
        if t != "n":
            parts.append(js_string(k) + ":" + js_value(t, v))
    return "{" + ",".join(parts) + "}"


# The inline forms (the README, "The page"; hardened against hostile pages): window.pylon is written into
# only when it is a plain object (prototype Object.prototype, or null but not a cross-origin
# window), window.Pylon is kept only when it is a function, document is read through
# Document.prototype; anything a named element can make of them is replaced.
SCRIPT_HEAD = ('(function(w,O){var p=w.pylon,q=p&&typeof p=="object"?O.getPrototypeOf(p):1;'
               'if(q!==O.prototype&&(q!==null||p.window===p))w.pylon=p={};p.chat_settings=')
SCRIPT_TAIL = "})(window,Object);"
LOADER_HEAD = ('(function(w,d,O){var P=w.Pylon,D=Document.prototype,s,c,'
               'G=function(n){return O.getOwnPropertyDescriptor(D,n).get.call(d)};'
               'if(!(P instanceof Function)){P=function(){P.e(arguments)};'
               'P.q=[];P.e=function(a){P.q.push(a)};w.Pylon=P}if(P.loading)return;P.loading=1;'
               's=D.createElement.call(d,"script");c=G("currentScript");s.async=true;s.src="')
LOADER_TAIL = ('";if(c&&c.nonce)s.nonce=c.nonce;'
               '(G("head")||G("documentElement")).appendChild(s)})(window,document,Object);')


def render(kind, email, app_id, nonce, fields):
    attr = ' nonce="%s"' % nonce if nonce is not None else ""
    if kind == "widget":
        return "<script" + attr + ">" + LOADER_HEAD + WIDGET + app_id + LOADER_TAIL + "</script>"
    body = settings_json(email, app_id, fields)
    if kind == "json":
        return body
    if kind == "script":
        return "<script" + attr + ">" + SCRIPT_HEAD + body + SCRIPT_TAIL + "</script>"
    return '<script type="application/json" id="pylon-chat-settings">' + body + "</script>"


# --------------------------------------------------------------- the cases

HOSTILE = [
    "</script><script>window.__pwned=1</script>",
    "</SCRIPT ><img src=x onerror=alert(1)>",
    "<!-- <script>",
    "-->",
    "]]>",
    "a\u2028b\u2029c",
    "\"quoted\" 'single' `back` ${x}",
    "back\\slash\\",
    "\\u003c",
    "&lt;&amp;&#x3C;",
    "\x00\x01\x1f\x7f\n\r\t\b\f",
    "}; alert(1); var x = {",
]

FLOATS = [0.1, 0.5, 1.0, -2.5, 1e21, 1e20, 123456789012345680000.0, 1e-6, 1e-7, 1.5e-7,
          5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 0.30000000000000004,
          1 / 3, -0.0, 0.0, 100.0, 2.0 ** 53, 2.0 ** 60, 9007199254740993.0, 123.456,
          1e300, 4.35, 2.0 ** -1074 * 3, 8.41e21, 5e-7, 0.000001234]

CASES = [
    # name, email, app_id, nonce, fields [(type, key, value)]
    ("plain", "jane@example.com", "app-0123", None, [("s", "name", "Jane Doe")]),
    ("no-fields", "jane@example.com", "A_z-09", None, []),
    ("anonymous", None, "app-0123", None, [("s", "name", "Visitor"), ("b", "beta", True)]),
    ("anonymous-no-fields", None, "x", None, []),
    ("nonce", "jane@example.com", "app", "rAnd0m+/=_-NONCE", [("i", "seats", 3)]),
    ("nonce-max", None, "app", "N" * 256, []),
    ("nonce-anonymous", None, "app", "abc", [("s", "name", "")]),
    ("sorted-keys", "jane@example.com", "app",
     None, [("i", "b", 1), ("i", "a", 2), ("i", "c", 3), ("i", "B", 4), ("i", "_", 5),
            ("i", "aa", 6), ("i", "\u00e9", 7), ("i", "z", 8), ("i", "\U0001F600", 9),
            ("i", "", 10)]),
    ("booleans", "b@example.com", "app", None, [("b", "t", True), ("b", "f", False)]),
    ("empty-strings", "", "app", None, [("s", "name", ""), ("s", "avatar_url", "")]),
    ("none-dropped", "jane@example.com", "app", None,
     [("n", "plan", None), ("s", "name", "J"), ("n", "zz", None)]),
    ("integers", "i@example.com", "app", None,
     [("i", "zero", 0), ("i", "neg", -5), ("i", "max", 2 ** 53 - 1), ("i", "min", -(2 ** 53 - 1)),
      ("i", "big", 1234567890123), ("i", "one", 1)]),
    ("floats", "f@example.com", "app", None,
     [("f", "f%02d" % i, x) for i, x in enumerate(FLOATS)]),
    ("emoji", "\U0001F600+chat@example.io", "app", None,
     [("s", "name", "J\u00f6rg \u7528\u6237 \U0001F600\U0001F44D\U0001F3FD"),
      ("s", "\U0001F600", "\u00e9")]),
    ("line-separators", "ls\u2028ps\u2029@example.com", "app", None,
     [("s", "name", "\u2028\u2029"), ("s", "k\u2028", "v")]),
    ("hostile-email", HOSTILE[0] + "@example.com", "app", None, []),
    ("hostile-values", "jane@example.com", "app", None,
     [("s", "v%02d" % i, h) for i, h in enumerate(HOSTILE)]),
    ("hostile-names", "jane@example.com", "app", None,
     [("s", h, "x") for h in HOSTILE]),
    ("unicode-text", "j\u00f6hn.d\u0153@ex\u00e4mple.com", "app", None,
     [("s", "name", "\u0645\u0633\u062a\u062e\u062f\u0645 jose\u0301 \ufeff \u0085 \u00a0"),
      ("s", "bmp-edge", "\uffff\ue000\u07ff\u0800"), ("s", "astral", "\U0010ffff")]),
    ("mixed", "jane@example.com", "app_ID-1", "n0nce", [
        ("s", "name", "Jane </script>"), ("i", "user_id", 42), ("f", "score", 0.1),
        ("b", "vip", False), ("n", "skip", None), ("s", "avatar", "https://x.test/a.png?a=1&b=<2>")]),
]

WIDGETS = [
    ("widget", "app-0123", None),
    ("widget-nonce", "app-0123", "abc+/=_-XYZ"),
    ("widget-odd-id", "A_z-09", None),
    ("widget-nonce-max", "a", "z" * 256),
]

# Bad inputs: name, kind, email, app_id, nonce, fields, secret, rule, python, lua, message, langs
GOOD_EMAIL = "jane@example.com"
ERRORS = [
    ("app-id-empty", "script", GOOD_EMAIL, b"", None, [], None, "EAPP_ID_EMPTY", "ValueError",
     "raise", "app_id must be a non-empty string", "all"),
    ("app-id-space", "json", GOOD_EMAIL, b"my app", None, [], None, "EAPP_ID_CHAR", "ValueError",
     "raise", "app_id may hold only A-Z a-z 0-9 _ - (it goes into the widget's URL): invalid "
     "character at byte 2", "all"),
    ("app-id-quote", "data", GOOD_EMAIL, b'a"onload=x', None, [], None, "EAPP_ID_CHAR",
     "ValueError", "raise", "app_id may hold only A-Z a-z 0-9 _ - (it goes into the widget's "
     "URL): invalid character at byte 1", "all"),
    ("app-id-slash", "widget", None, b"../x", None, [], None, "EAPP_ID_CHAR", "ValueError",
     "raise", "app_id may hold only A-Z a-z 0-9 _ - (it goes into the widget's URL): invalid "
     "character at byte 0", "all"),
    ("app-id-empty-widget", "widget", None, b"", None, [], None, "EAPP_ID_EMPTY", "ValueError",
     "raise", "app_id must be a non-empty string", "all"),
    ("app-id-unicode", "script", GOOD_EMAIL, "\u00e9".encode(), None, [], None, "EAPP_ID_CHAR",
     "ValueError", "raise", "app_id may hold only A-Z a-z 0-9 _ - (it goes into the widget's "
     "URL): invalid character at byte 0", "all"),
    ("nonce-empty", "script", GOOD_EMAIL, b"app", b"", [], None, "ENONCE_LENGTH", "ValueError",
     "raise", "nonce must be 1 to 256 characters", "all"),
    ("nonce-long", "script", GOOD_EMAIL, b"app", b"a" * 257, [], None, "ENONCE_LENGTH",
     "ValueError", "raise", "nonce must be 1 to 256 characters", "all"),
    ("nonce-quote", "script", GOOD_EMAIL, b"app", b'abc"><script>', [], None, "ENONCE_CHAR",
     "ValueError", "raise", "nonce may hold only base64 characters (A-Z a-z 0-9 + / = _ -): "
     "invalid character at byte 3", "all"),
    ("nonce-space", "widget", None, b"app", b"ab cd", [], None, "ENONCE_CHAR", "ValueError",
     "raise", "nonce may hold only base64 characters (A-Z a-z 0-9 + / = _ -): invalid "
     "character at byte 2", "all"),
    ("nonce-long-widget", "widget", None, b"app", b"b" * 257, [], None, "ENONCE_LENGTH",
     "ValueError", "raise", "nonce must be 1 to 256 characters", "all"),
    ("reserved-email", "json", GOOD_EMAIL, b"app", None, [("s", b"email", b"x@y")], None,
     "EKEY_RESERVED", "TypeError", "raise",
     "field 'email' is not a field: chat settings set it themselves", "c,lua"),
    ("reserved-email-hash", "script", GOOD_EMAIL, b"app", None, [("s", b"email_hash", b"00")],
     None, "EKEY_RESERVED", "TypeError", "raise",
     "field 'email_hash' is not a field: chat settings set it themselves", "all"),
    ("reserved-nonce", "json", GOOD_EMAIL, b"app", None, [("s", b"nonce", b"abc")], None,
     "EKEY_RESERVED", "TypeError", "raise", "nonce is not a chat setting: pass it as the nonce "
     "option of chat_settings_script or widget_script", "all"),
    ("reserved-nonce-none", "data", GOOD_EMAIL, b"app", None, [("n", b"nonce", None)], None,
     "EKEY_RESERVED", "TypeError", "raise", "nonce is not a chat setting: pass it as the nonce "
     "option of chat_settings_script or widget_script", "c,python"),
    ("proto", "script", GOOD_EMAIL, b"app", None, [("s", b"__proto__", b"x")], None,
     "EKEY_PROTO", "ValueError", "raise", "a field named __proto__ is refused (a JavaScript "
     "object literal would set the prototype instead)", "all"),
    ("proto-anonymous", "json", None, b"app", None, [("b", b"__proto__", True)], None,
     "EKEY_PROTO", "ValueError", "raise", "a field named __proto__ is refused (a JavaScript "
     "object literal would set the prototype instead)", "all"),
    ("int-over", "json", GOOD_EMAIL, b"app", None, [("i", b"user_id", 2 ** 53)], None,
     "EINT_RANGE", "ValueError", "nil", "field 'user_id': integer beyond +-(2^53 - 1), which "
     "JavaScript would round: pass it as a string", "c,python,lua53"),
    ("int-under", "script", GOOD_EMAIL, b"app", None, [("i", b"n", -(2 ** 53))], None,
     "EINT_RANGE", "ValueError", "nil", "field 'n': integer beyond +-(2^53 - 1), which "
     "JavaScript would round: pass it as a string", "c,python,lua53"),
    ("int-int64-max", "data", GOOD_EMAIL, b"app", None, [("i", b"n", 2 ** 63 - 1)], None,
     "EINT_RANGE", "ValueError", "nil", "field 'n': integer beyond +-(2^53 - 1), which "
     "JavaScript would round: pass it as a string", "c,python,lua53"),
    ("int-huge", "json", GOOD_EMAIL, b"app", None, [("i", b"n", 2 ** 80)], None, "EINT_RANGE",
     "ValueError", "nil", "field 'n': integer beyond +-(2^53 - 1), which JavaScript would "
     "round: pass it as a string", "c,python"),
    ("float-nan", "json", GOOD_EMAIL, b"app", None, [("f", b"score", "nan")], None, "EFLOAT",
     "ValueError", "nil", "field 'score': not a finite number (NaN and infinities have no JSON "
     "form)", "all"),
    ("float-inf", "script", None, b"app", None, [("f", b"x", "inf")], None, "EFLOAT",
     "ValueError", "nil", "field 'x': not a finite number (NaN and infinities have no JSON "
     "form)", "all"),
    ("float-neg-inf", "data", GOOD_EMAIL, b"app", None, [("f", b"x", "-inf")], None, "EFLOAT",
     "ValueError", "nil", "field 'x': not a finite number (NaN and infinities have no JSON "
     "form)", "all"),
    ("value-surrogate", "script", GOOD_EMAIL, b"app", None, [("s", b"name", b"ab\xed\xa0\x80")],
     None, "EVALUE_UTF8", "ValueError", "nil", "field 'name': the string is not valid UTF-8 "
     "text (at byte 2)", "all"),
    ("value-bad-byte", "json", GOOD_EMAIL, b"app", None, [("s", b"name", b"J\xffrg")], None,
     "EVALUE_UTF8", "ValueError", "nil", "field 'name': the string is not valid UTF-8 text (at "
     "byte 1)", "c,lua"),
    ("value-truncated", "json", GOOD_EMAIL, b"app", None, [("s", b"name", b"\xc3")], None,
     "EVALUE_UTF8", "ValueError", "nil", "field 'name': the string is not valid UTF-8 text (at "
     "byte 0)", "c,lua"),
    ("value-overlong", "data", GOOD_EMAIL, b"app", None, [("s", b"name", b"\xc0\xbcscript")],
     None, "EVALUE_UTF8", "ValueError", "nil", "field 'name': the string is not valid UTF-8 "
     "text (at byte 0)", "c,lua"),
    ("key-bad-byte", "json", GOOD_EMAIL, b"app", None, [("s", b"na\xffme", b"x")], None,
     "EKEY_UTF8", "ValueError", "nil", "a field name is not valid UTF-8 text (at byte 2)",
     "c,lua"),
    ("key-surrogate", "script", GOOD_EMAIL, b"app", None, [("s", b"\xed\xb0\x80", b"x")], None,
     "EKEY_UTF8", "ValueError", "nil", "a field name is not valid UTF-8 text (at byte 0)",
     "all"),
    ("email-bad-byte", "script", b"jane\xff@example.com", b"app", None, [], None, "EEMAIL_UTF8",
     "ValueError", "nil", "email is not valid UTF-8 text (at byte 4): the widget would show a "
     "replacement character and the hash would never match", "c,lua"),
    ("email-surrogate", "json", b"\xed\xa0\x80@example.com", b"app", None, [], None,
     "EEMAIL_UTF8", "ValueError", "nil", "email is not valid UTF-8 text (at byte 0): the widget "
     "would show a replacement character and the hash would never match", "all"),
    ("secret-bad-char", "script", GOOD_EMAIL, b"app", None, [], SECRET[:17] + "g" + SECRET[18:],
     "ESECRET", "InvalidSecretError", "nil",
     "invalid secret: invalid hex digit at position 17", "all"),
    ("secret-empty", "json", GOOD_EMAIL, b"app", None, [], " \n", "ESECRET",
     "InvalidSecretError", "nil", "invalid secret: empty (nothing but whitespace)",
     "all"),
    ("secret-odd-anonymous", "data", None, b"app", None, [], SECRET[:63], "ESECRET",
     "InvalidSecretError", "nil", "invalid secret: odd number of hex digits", "all"),
    # Order: every other check comes before the secret is even looked at.
    ("order-field-before-secret", "script", GOOD_EMAIL, b"app", None, [("f", b"x", "nan")], "zz",
     "EFLOAT", "ValueError", "nil", "field 'x': not a finite number (NaN and infinities have no "
     "JSON form)", "all"),
    ("order-app-id-first", "script", GOOD_EMAIL, b"", b"", [("s", b"__proto__", b"x")], "zz",
     "EAPP_ID_EMPTY", "ValueError", "raise", "app_id must be a non-empty string", "all"),
    ("name-not-shown", "json", GOOD_EMAIL, b"app", None, [("f", b"my field!", "inf")], None,
     "EFLOAT", "ValueError", "nil", "a field (its name is not shown): not a finite number (NaN "
     "and infinities have no JSON form)", "all"),
]


def hx(b):
    return "-" if b is None else b.hex()


def fields_text(fields):
    items = []
    for t, k, v in fields:
        kb = k.encode() if isinstance(k, str) else k
        if t == "s":
            val = (v.encode() if isinstance(v, str) else v).hex()
        elif t == "b":
            val = "true" if v else "false"
        elif t == "i":
            val = str(v)
        elif t == "f":
            val = v if isinstance(v, str) else repr(v)
        else:
            val = ""
        items.append("%s:%s:%s" % (t, kb.hex(), val))
    return ",".join(items)


def page_rows():
    rows = []
    for name, email, app_id, nonce, fields in CASES:
        for kind in ("json", "script", "data"):
            out = render(kind, email, app_id, nonce, fields)
            rows.append((name, kind, hx(None if email is None else email.encode()),
                         app_id.encode().hex(), hx(None if nonce is None else nonce.encode()),
                         fields_text(fields), out.encode().hex()))
    for name, app_id, nonce in WIDGETS:
        out = render("widget", None, app_id, nonce, [])
        rows.append((name, "widget", "-", app_id.encode().hex(),
                     hx(None if nonce is None else nonce.encode()), "", out.encode().hex()))
    return rows


def error_rows():
    rows = []
    for (name, kind, email, app_id, nonce, fields, secret, rule, py, lua, msg,
         langs) in ERRORS:
        e = email.encode() if isinstance(email, str) else email
        rows.append((name, kind, hx(e), app_id.hex(), hx(nonce), fields_text(fields),
                     "-" if secret is None else secret.encode().hex(), rule, py, lua,
                     msg, langs))
    return rows


def write(name, header, rows, check):
    text = header + "".join("\t".join(r) + "\n" for r in rows)
    path = os.path.join(VEC, name)
    if check:
        with open(path, encoding="utf-8") as f:
            if f.read() != text:
                sys.exit("%s is out of date: run %s" % (name, sys.argv[0]))
        return
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def main():
    check = "--check" in sys.argv
    write("page.tsv",
          "# generated by gen/make_page_vectors.py (an independent reference; see its doc)\n"
          "# secret (for every row; as text and as a signer): " + SECRET + "\n"
          "# name\tkind\temail_hex|-\tapp_id_hex\tnonce_hex|-\tfields\texpected_hex\n",
          page_rows(), check)
    write("page_errors.tsv",
          "# generated by gen/make_page_vectors.py: one bad input per rule\n"
          "# secret '-' = " + SECRET + "; langs: where the input can be expressed\n"
          "# name\tkind\temail_hex|-\tapp_id_hex\tnonce_hex|-\tfields\tsecret_hex|-\trule\t"
          "python\tlua\tmessage\tlangs\n",
          error_rows(), check)
    if not check:
        print("wrote page.tsv (%d rows), page_errors.tsv (%d rows)"
              % (len(page_rows()), len(error_rows())))


if __name__ == "__main__":
    main()
