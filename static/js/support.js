// Support chat: poll for new messages only while the tab is visible (see
// portal/web/supplier_support.py for the cost reasoning). htmx runs with allowEval false, so
// the visibility condition cannot live in hx-trigger; this fires `support:poll` on <body>,
// which #chat-log listens for. A failed send (network down) shows a message; htmx leaves the
// form as it was, so the typed text is kept.
(function () {
  "use strict";
  var log = document.getElementById("chat-log");
  if (!log || !window.htmx) { return; }
  var seconds = parseInt(log.getAttribute("data-poll-seconds") || "5", 10);
  function poll() {
    if (document.visibilityState === "visible") { window.htmx.trigger(document.body, "support:poll"); }
  }
  window.setInterval(poll, seconds * 1000);
  document.addEventListener("visibilitychange", poll);
  function showError(event, show) {
    var form = event.target.closest ? event.target.closest("#chat-form") : null;
    if (!form) { return; }
    var p = form.querySelector("[data-send-error]");
    if (p) { p.hidden = !show; }
  }
  document.body.addEventListener("htmx:sendError", function (e) { showError(e, true); });
  document.body.addEventListener("htmx:responseError", function (e) { showError(e, true); });
  document.body.addEventListener("htmx:beforeRequest", function (e) { showError(e, false); });
})();
