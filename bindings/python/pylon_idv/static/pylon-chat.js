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
 * One source file, shipped in the Python wheel (pylon_idv.static_path()) and in the Lua rock.
 */
(function (w, d) {
  "use strict";
  var WIDGET = "https://widget.usepylon.com/widget/";
  var self = d.currentScript;

  function load(settings) {
    var P = w.Pylon, s;
    w.pylon = w.pylon || {};
    w.pylon.chat_settings = settings;
    if (!P) {
      P = function () { P.e(arguments); };
      P.q = [];
      P.e = function (a) { P.q.push(a); };
      w.Pylon = P;
    }
    if (P.loading) return;
    P.loading = 1;
    s = d.createElement("script");
    s.async = true;
    s.src = WIDGET + settings.app_id;
    if (self && self.nonce) s.nonce = self.nonce;
    (d.head || d.documentElement).appendChild(s);
  }

  function start() {
    var el = d.getElementById("pylon-chat-settings"), settings;
    if (!el) {
      if (w.console) w.console.warn("pylon-chat.js: no #pylon-chat-settings element");
      return;
    }
    try {
      settings = JSON.parse(el.textContent);
    } catch (e) {
      if (w.console) w.console.warn("pylon-chat.js: #pylon-chat-settings is not JSON");
      return;
    }
    if (!settings || typeof settings !== "object" || typeof settings.app_id !== "string" ||
        !/^[A-Za-z0-9_-]+$/.test(settings.app_id)) {
      if (w.console) w.console.warn("pylon-chat.js: the settings hold no valid app_id");
      return;
    }
    load(settings);
  }

  // Loaded in <head> without defer, the data element may not be parsed yet.
  if (!d.getElementById("pylon-chat-settings") && d.readyState === "loading") {
    d.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})(window, document);
