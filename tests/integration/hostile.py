"""The hostile-page corpus (tests/vectors/hostile/) and its checks in Chromium, for any runner.

A page is NAME.html (a whole document as a backend sends it, with the token @@PYLON@@ once
where the chat settings belong, or not at all when nothing may be inserted) and NAME.json,
{"about": ..., "data": E, "inline": E}, E = what the browser must end with in each mode:
  "settings"  window.pylon.chat_settings deep-equals the expected object, and exactly one
              widget script is requested, for the right app id
  "refused"   window.pylon.chat_settings unset, exactly one console warning from
              pylon-chat.js, no widget script requested
  "none"      nothing inserted: the page arrives byte-identical, no widget script
Mode "data": the data element + <script src=".../pylon-chat.js">; mode "inline": the core's
inline settings script + widget loader. In every page and mode: the page's own script ran
(window.__page_ok === true), no uncaught exception, and no element attribute, form control
value or form submission data holds the email hash (or the email).

A runner (the Flask example in test_browser.py; an OpenResty runner the same way):

    for page in hostile.load():
        body = page.render(snippet)          # what the server must send, for a "none" page too
        # (an OpenResty runner: its backend serves page.backend(), the page without the
        #  token, and the filter's output must equal page.render(the inserted snippet))
        ...serve it, then...
        problems = hostile.check(browser, url, page, "data", want_settings, served=body,
                                 secrets=(email_hash, email))

check() returns a list of problems (empty: the page passed). NAIVE_FAILS and naive_snippet()
are the negative control: the pre-issue-18 forms, which check() must fault on those pages.
"""
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "tests", "vectors", "hostile")
TOKEN = b"@@PYLON@@"
WIDGET = "https://widget.usepylon.com/widget/"
MODES = ("data", "inline")
OUTCOMES = ("settings", "refused", "none")


class Page:
    def __init__(self, name, html, meta):
        self.name, self.html, self.meta = name, html, meta
        self.about = meta["about"]

    def expect(self, mode):
        return self.meta[mode]

    def render(self, snippet):
        """The page as a server must send it with snippet (str or bytes) inserted."""
        if isinstance(snippet, str):
            snippet = snippet.encode("utf-8")
        return self.html.replace(TOKEN, snippet)

    def backend(self):
        """The page as a backend sends it to a filter that inserts the snippet itself."""
        return self.html.replace(TOKEN, b"")

    def __repr__(self):
        return "<hostile page %s>" % self.name


def load(corpus=CORPUS):
    """Every page of the corpus, sorted by name; raises ValueError for a malformed page."""
    pages = []
    for fn in sorted(os.listdir(corpus)):
        if not fn.endswith(".html"):
            continue
        name = fn[:-5]
        with open(os.path.join(corpus, fn), "rb") as f:
            html = f.read()
        with open(os.path.join(corpus, name + ".json"), encoding="utf-8") as f:
            meta = json.load(f)
        if set(meta) != {"about", "data", "inline"} or not isinstance(meta["about"], str) \
                or any(meta[m] not in OUTCOMES for m in MODES):
            raise ValueError("%s.json: want about, data, inline in %s" % (name, OUTCOMES))
        none = [meta[m] == "none" for m in MODES]
        if any(none) and not all(none):
            raise ValueError("%s.json: \"none\" is for a page with no %s: both modes" % (name,
                                                                                  TOKEN))
        if html.count(TOKEN) != (0 if all(none) else 1):
            raise ValueError("%s.html: %d %s for %s" % (name, html.count(TOKEN), TOKEN, meta))
        if b"__page_ok" not in html:
            raise ValueError("%s.html: no script setting window.__page_ok" % name)
        pages.append(Page(name, html, meta))
    if not pages:
        raise ValueError("no page in " + corpus)
    return pages


# Read back from the live page, through prototypes only: the corpus shadows document's and
# forms' own names (<img name="querySelectorAll">, <input name="attributes">).
EXPR = r"""(function () {
  var D = Document.prototype, E = Element.prototype, O = Object;
  var all = D.querySelectorAll.call(document, '*'), attrs = [], values = [], posts = [], i;
  for (i = 0; i < all.length; i++) {
    var el = all[i], names = E.getAttributeNames.call(el), j;
    for (j = 0; j < names.length; j++) attrs.push(E.getAttribute.call(el, names[j]) || '');
    if (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement ||
        el instanceof HTMLSelectElement)
      values.push(O.getOwnPropertyDescriptor(O.getPrototypeOf(el), 'value').get.call(el));
    if (el instanceof HTMLFormElement) {
      var fd = new FormData(el), it = fd.entries(), n;
      for (n = it.next(); !n.done; n = it.next()) posts.push(n.value[0] + '=' + n.value[1]);
    }
  }
  var p = window.pylon, s;
  try { s = p && typeof p === 'object' ? p.chat_settings : undefined; }
  catch (e) { s = '(unreadable: ' + e.name + ')'; }      // a cross-origin window
  var scripts = D.querySelectorAll.call(document, 'script[src]'), widgets = [];
  for (i = 0; i < scripts.length; i++)
    if (scripts[i].src.indexOf(%s) === 0) widgets.push(scripts[i].src);
  return JSON.stringify({
    pageOk: window.__page_ok === true,
    settings: s === undefined ? '(unset)'
              : JSON.stringify(s) === undefined ? '(unserialisable)' : s,
    plainSettings: s === undefined || !!s && typeof s === 'object' &&
                                      O.getPrototypeOf(s) === O.prototype,
    plainPylon: !!p && typeof p === 'object' && (O.getPrototypeOf(p) === O.prototype ||
                                                 O.getPrototypeOf(p) === null && p.window !== p),
    widgets: widgets,
    pwned: typeof window.__pwned,
    queue: window.Pylon instanceof Function && Array.isArray(window.Pylon.q),
    attrs: attrs, values: values, posts: posts
  });
})()""" % json.dumps(WIDGET)


def check(browser, url, page, mode, want, *, served=None, secrets=()):
    """Load url (page, rendered for mode) in browser; return the list of problems.
    want: the expected chat_settings (a dict); served: the bytes the server sent (compared
    for a "none" page); secrets: the strings no attribute, form value or post may contain
    (the email hash, the email)."""
    expect = page.expect(mode)
    got = browser.visit(url, EXPR)
    v = json.loads(got["value"])
    problems = []

    def need(cond, what):
        if not cond:
            problems.append(what)

    need(v["pageOk"], "the page's own script did not run (window.__page_ok)")
    need(v["pwned"] == "undefined", "a hostile value ran (window.__pwned)")
    need(not got["exceptions"], "uncaught exceptions: %s" % got["exceptions"])
    warnings = [c for c in got["console"] if c[0] == "warning" and
                (c[2].endswith("/pylon-chat.js") or c[1].startswith("pylon-chat.js:"))]
    requested = [u for u in got["requests"] if u.startswith(WIDGET)]
    if expect == "settings":
        need(v["settings"] == want and v["plainSettings"],
             "chat_settings %r, want %r" % (v["settings"], want))
        need(requested == [WIDGET + want["app_id"]],
             "widget requests %r, want exactly one for %s" % (requested, want["app_id"]))
        need(v["widgets"] == [WIDGET + want["app_id"]], "widget <script>s %r" % v["widgets"])
        need(v["plainPylon"], "window.pylon is not a plain object (a page element?)")
        need(v["queue"], "window.Pylon is not the command queue")
        need(not warnings, "pylon-chat.js warned: %s" % warnings)
    else:
        need(v["settings"] == "(unset)", "chat_settings is set: %r" % (v["settings"],))
        need(not requested and not v["widgets"], "a widget script was requested: %r"
             % requested)
        if expect == "refused":
            need(len(warnings) == 1, "want one warning from pylon-chat.js, got %s" % warnings)
        else:
            need(served == page.html, "a \"none\" page was not sent byte for byte")
            need(not warnings, "pylon-chat.js warned: %s" % warnings)
    for s in secrets:
        for kind in ("attrs", "values", "posts"):
            hit = [x for x in v[kind] if s in x]
            need(not hit, "%s holds %r: %r" % (kind, s[:12] + "...", hit[:2]))
    return problems


# The negative control: the page forms as they were before issue 18 (first element with the id
# wins; window.pylon || {}; if (!Pylon)), which the corpus must catch. A runner serves some
# pages with these and requires check() to report problems there, so a check that cannot fail
# does not go unnoticed.
NAIVE_SETTINGS = ("<script>window.pylon = window.pylon || {};"
                  "window.pylon.chat_settings = %s;</script>")
NAIVE_LOADER = (
    "<script>(function(w,d){var P=w.Pylon;if(!P){P=function(){P.e(arguments)};P.q=[];"
    "P.e=function(a){P.q.push(a)};w.Pylon=P}if(P.loading)return;P.loading=1;"
    "var s=d.createElement('script');s.async=true;s.src='" + WIDGET + "%s';"
    "(d.head||d.documentElement).appendChild(s)})(window,document);</script>")
NAIVE_DATA = (
    '<script type="application/json" id="pylon-chat-settings">%s</script>'
    "<script>(function(w,d){function go(){var e=d.getElementById('pylon-chat-settings'),t;"
    "if(!e){console.warn('pylon-chat.js: none');return}try{t=JSON.parse(e.textContent)}"
    "catch(x){console.warn('pylon-chat.js: not JSON');return}"
    "w.pylon=w.pylon||{};w.pylon.chat_settings=t;var P=w.Pylon;if(!P){P=function(){"
    "P.e(arguments)};P.q=[];P.e=function(a){P.q.push(a)};w.Pylon=P}if(P.loading)return;"
    "P.loading=1;var s=d.createElement('script');s.async=true;s.src='" + WIDGET + "'+t.app_id;"
    "(d.head||d.documentElement).appendChild(s)}"
    "if(!d.getElementById('pylon-chat-settings')&&d.readyState==='loading')"
    "d.addEventListener('DOMContentLoaded',go);else go()})(window,document);</script>")
# (mode, page): where the naive forms go wrong, and check() must say so
NAIVE_FAILS = [
    ("data", "foreign-div-before"), ("data", "foreign-textarea-before"),
    ("data", "foreign-json-after"), ("data", "clobber-form-pylon-before"),
    ("inline", "clobber-form-pylon-before"), ("inline", "clobber-anchors-pylon-before"),
    ("inline", "clobber-img-pylon-before"), ("inline", "clobber-form-Pylon-before"),
    ("inline", "clobber-embed-Pylon-before"), ("inline", "clobber-anchor-Pylon-before"),
    ("inline", "clobber-iframe-pylon-before"), ("inline", "clobber-document-before"),
    ("data", "clobber-document-before"),
]


def naive_snippet(mode, settings):
    """The pre-issue-18 snippet for settings (a dict) in mode: for the negative control."""
    text = json.dumps(settings, ensure_ascii=False)
    for ch in "<>&\u2028\u2029":
        text = text.replace(ch, "\\u%04x" % ord(ch))
    if mode == "data":
        return NAIVE_DATA % text
    return NAIVE_SETTINGS % text + NAIVE_LOADER % settings["app_id"]
