// Copy buttons: a button with data-copy="ID" copies the value of the
// element ID. Served as a file so that the Content-Security-Policy can
// forbid inline script; the pages work without it (the values are in
// read-only fields that can be selected and copied by hand).
(function () {
  "use strict";
  function status(button, text) {
    var out = document.getElementById(button.getAttribute("data-copy") + "-status");
    if (out) { out.textContent = text; }
    var label = button.getAttribute("data-label") || button.textContent;
    button.setAttribute("data-label", label);
    button.textContent = text === "Copied." ? "Copied" : label;
    setTimeout(function () { button.textContent = label; }, 2000);
  }
  function fallback(field, button) {
    field.focus();
    field.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    status(button, ok ? "Copied." : "Press Ctrl+C (or ⌘C) to copy the selected text.");
  }
  document.addEventListener("click", function (ev) {
    var button = ev.target.closest("button[data-copy]");
    if (!button) { return; }
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) { return; }
    var text = field.value !== undefined ? field.value : field.textContent;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () {
        status(button, "Copied.");
      }, function () { fallback(field, button); });
    } else {
      fallback(field, button);
    }
  });
  // Read-only fields select their whole value when focused, for copying
  // by hand.
  document.addEventListener("focusin", function (ev) {
    var t = ev.target;
    if (t.tagName === "INPUT" && t.readOnly) { t.select(); }
  });
})();
