/* Progressive enhancement only: every page works without this file.
   - HTMX requests carry the session's CSRF token in a header (forms also carry it as a field).
   - After an HTMX swap, focus moves to an error summary if one appeared, so a screen reader reads it. */
(function () {
  "use strict";
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) { event.detail.headers["X-CSRF-Token"] = meta.getAttribute("content"); }
  });
  // Mark the page while the live notification stream is connected (tests and styles can see it).
  document.addEventListener("htmx:sseOpen", function () { document.body.setAttribute("data-live", "open"); });
  document.addEventListener("htmx:sseError", function () { document.body.setAttribute("data-live", "closed"); });
  document.addEventListener("htmx:afterSwap", function () {
    var summary = document.querySelector(".error-summary");
    if (summary) { summary.focus(); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector(".error-summary");
    if (summary) { summary.focus(); }
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();
