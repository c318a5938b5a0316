/* Hài Lòng office, typing paper forms: one key per answer moves on by itself, Enter leaves a question blank and
   moves on, Backspace in an empty box goes back. Optional: without it, Tab moves on and Enter saves. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-keyboard-entry]");
  if (!form) { return; }
  var boxes = Array.prototype.slice.call(form.querySelectorAll("[data-key]"));
  function go(from, step) {
    var target = boxes[boxes.indexOf(from) + step];
    if (!target) { return false; }
    target.focus();
    if (typeof target.select === "function" && target.type === "text") { target.select(); }
    return true;
  }
  function complete(box) {
    if (box.value.length < box.maxLength) { return false; }
    return !box.pattern || new RegExp("^(?:" + box.pattern + ")$").test(box.value);
  }
  form.addEventListener("input", function (event) {
    var box = event.target;
    if (box.hasAttribute("data-auto") && complete(box)) { go(box, 1); }
  });
  form.addEventListener("keydown", function (event) {
    var box = event.target;
    if (boxes.indexOf(box) < 0 || event.ctrlKey || event.altKey || event.metaKey) { return; }
    // Enter on the last box (the comment) is left alone: it saves the form.
    if (event.key === "Enter" && go(box, 1)) {
      event.preventDefault();
    } else if (event.key === "Backspace" && box.value === "" && go(box, -1)) {
      event.preventDefault();
    }
  });
}());
