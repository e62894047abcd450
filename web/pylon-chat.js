/*
 * pylon-chat.js -- the Pylon chat widget with no inline script at all (pylon_idv).
 *
 * Serve this file from your own origin and put in the page, in this order:
 *
 *   <script type="application/json" id="pylon-chat-settings">{...}</script>
 *       (chat_settings_data() in Python, idv.chat_settings_data() in Lua)
 *   <script src="/pylon-chat.js" defer></script>
 *
 * It reads the settings from the data element, sets window.pylon.chat_settings, defines the
 * window.Pylon command queue and loads https://widget.usepylon.com/widget/<app_id>. So the
 * page works under exactly the policy Pylon documents,
 *
 *   Content-Security-Policy: script-src 'self' https://widget.usepylon.com
 *
 * with no nonce and no 'unsafe-inline'. Under a nonce policy, give this element the nonce:
 * the widget's <script> gets it too. The data element is never executed (type
 * application/json), so what it holds is only ever data; it is read with JSON.parse.
 *
 * What the page around it may hold does not change what it does:
 *  - It reads the settings only from a <script type="application/json"> element, and only when
 *    it is the ONE element with id="pylon-chat-settings" in the parsed document (it waits for
 *    DOMContentLoaded when the page is still loading). Another element with that id, before or
 *    after ours (user content such as a <div> or <template>), means the settings cannot be
 *    told from a forgery: nothing is loaded, and one console warning says why.
 *  - Named elements cannot derail it (DOM clobbering): window.pylon is used only when it is a
 *    plain object and window.Pylon only when it is a function, otherwise they are replaced,
 *    never written into; document's methods and properties are read from Document.prototype,
 *    not through `document.name`, which <img name=...> or <form name=...> can shadow.
 *
 * One source file, shipped in the Python wheel (pylon_idv.static_path()) and in the Lua rock.
 */
(function (w, d, O) {
  "use strict";
  var WIDGET = "https://widget.usepylon.com/widget/";
  var ID = "pylon-chat-settings";
  var D = Document.prototype;

  // document.<name> through its prototype: a named element cannot shadow it.
  function prop(name) {
    for (var o = D; o; o = O.getPrototypeOf(o)) {
      var p = O.getOwnPropertyDescriptor(o, name);
      if (p) return p.get.call(d);
    }
  }

  function warn(why) {
    if (w.console && w.console.warn) {
      w.console.warn("pylon-chat.js: " + why + "; the chat is not loaded");
    }
  }

  // A plain object: prototype Object.prototype, or null (but not a cross-origin window, whose
  // prototype reads as null too: <iframe name="pylon" src="https://elsewhere/">).
  function plain(p) {
    var q = p && typeof p === "object" ? O.getPrototypeOf(p) : 1;
    return q === O.prototype || (q === null && p.window !== p);
  }

  var self = prop("currentScript");            // read now: null once this script has run

  function load(settings) {
    var p = w.pylon, P = w.Pylon, s;
    if (!plain(p)) w.pylon = p = {};
    p.chat_settings = settings;
    if (!(P instanceof Function)) {           // <form id="Pylon">, <embed id="Pylon">, <a>...
      P = function () { P.e(arguments); };
      P.q = [];
      P.e = function (a) { P.q.push(a); };
      w.Pylon = P;
    }
    if (P.loading) return;
    P.loading = 1;
    s = D.createElement.call(d, "script");
    s.async = true;
    s.src = WIDGET + settings.app_id;
    if (self && self.nonce) s.nonce = self.nonce;
    (prop("head") || prop("documentElement")).appendChild(s);
  }

  function start() {
    var all = D.querySelectorAll.call(d, '[id="' + ID + '"]'), el = all[0], settings;
    if (all.length !== 1) {
      warn(all.length ? all.length + " elements have id=\"" + ID + "\" (the settings must be"
                        + " the only one: a forgery cannot be told from them)"
                      : "no #" + ID + " element");
      return;
    }
    if (!(el instanceof HTMLScriptElement) || el.getAttribute("type") !== "application/json") {
      warn("#" + ID + " is not a <script type=\"application/json\"> element");
      return;
    }
    try {
      settings = JSON.parse(el.textContent);
    } catch (e) {
      warn("#" + ID + " is not JSON");
      return;
    }
    if (!settings || typeof settings !== "object" || Array.isArray(settings) ||
        typeof settings.app_id !== "string" || !/^[A-Za-z0-9_-]+$/.test(settings.app_id)) {
      warn("the settings hold no valid app_id");
      return;
    }
    load(settings);
  }

  // Count the elements once the whole document is parsed: one that comes after ours counts.
  if (prop("readyState") === "loading") {
    D.addEventListener.call(d, "DOMContentLoaded", start);
  } else {
    start();
  }
})(window, document, Object);
