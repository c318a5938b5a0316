/* Hài Lòng office: ask before changes that cannot simply be undone (forms marked data-confirm). */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) { return; }
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });
  /* A sideways-scrolling trend chart starts at its right end, where the latest quarter is. */
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".chart-box.scroll-sm").forEach(function (box) {
      box.scrollLeft = box.scrollWidth;
    });
  });
}());
