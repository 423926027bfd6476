// Small progressive enhancements; every page works without this file.
document.documentElement.classList.add("js");  // .js-hidden: controls only needed without JS
(function () {
  "use strict";
  // A form submitted twice by a double click sends once: disable its buttons while it posts.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("hx-post") || form.hasAttribute("hx-get")) { return; }
    if (form.dataset.submitted === "1") { event.preventDefault(); return; }
    form.dataset.submitted = "1";
    window.setTimeout(function () { delete form.dataset.submitted; }, 8000);
  });
  // Ask once before a destructive action (buttons carrying data-confirm).
  document.addEventListener("click", function (event) {
    var el = event.target.closest("[data-confirm]");
    if (el && !window.confirm(el.getAttribute("data-confirm"))) { event.preventDefault(); }
  });
})();
// After a failed submit, take the user to what went wrong: the first error summary gets the
// focus (and so scrolls into view), on a full page and after an htmx swap alike.
(function () {
  "use strict";
  function focusSummary(root) {
    var summary = (root || document).querySelector(".error-summary");
    if (summary) { summary.focus(); }
  }
  // On "load": the browser has scrolled to the form's #fragment by then, and keeps the focus.
  window.addEventListener("load", function () { focusSummary(document); });
  document.addEventListener("htmx:afterSwap", function (event) { focusSummary(event.detail.target); });
})();
