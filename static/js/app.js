// Small progressive enhancements; every page works without this file.
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
