// Live regions (elements with data-live and an htmx "every Ns" trigger): skip a poll while
// the tab is hidden or while the user is typing inside the region, and refresh at once when
// the tab becomes visible again. A static file because the CSP forbids inline and eval'd
// script (htmx trigger filters like [document.visibilityState === 'visible'] need eval).
(function () {
  "use strict";
  function typingInside(elt) {
    var active = document.activeElement;
    if (!active || !elt.contains(active)) return false;
    return /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName) || active.isContentEditable;
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (!elt || !elt.hasAttribute || !elt.hasAttribute("data-live")) return;
    if (document.visibilityState !== "visible" || typingInside(elt)) {
      event.preventDefault();
    }
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "visible" || !window.htmx) return;
    document.querySelectorAll("[data-live]").forEach(function (elt) {
      window.htmx.trigger(elt, "live:refresh");
    });
  });
})();
