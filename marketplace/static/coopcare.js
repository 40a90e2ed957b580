/* CoopCare: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  // After a form is sent with mistakes, move focus to the error summary so screen
  // reader and keyboard users start there (GOV.UK Design System error summary).
  var summary = document.querySelector('[data-module="error-summary"]');
  if (!summary) {
    return;
  }
  summary.focus();
  // After the skip link the address ends in #main-content, and a form sent from that page
  // keeps it: the browser then moves focus to <main> as the page finishes loading.
  window.addEventListener("load", function () {
    var active = document.activeElement;
    if (!active || active === document.body || active.id === "main-content") {
      summary.focus();
    }
  });

  // A link in the summary focuses its field and scrolls so the question (the label or
  // legend) is in view too, not only the box.
  summary.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[href^='#']") : null;
    if (!link) {
      return;
    }
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (!field) {
      return;
    }
    var fieldset = field.closest("fieldset");
    var legend = fieldset ? fieldset.querySelector("legend") : null;
    var label = legend || document.querySelector("label[for='" + field.id + "']");
    event.preventDefault();
    (label || field).scrollIntoView();
    field.focus({ preventScroll: true });
  });
})();
