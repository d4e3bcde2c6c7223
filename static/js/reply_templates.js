// Reply templates: choosing one in the reply form fills the textarea with its text (a question
// names the requirement chosen beside it). Without JavaScript the form's "Use template" button
// asks the server for the same text. A static file: the CSP allows no inline script.
(function () {
  "use strict";
  function chosenText(select) {
    var option = select && select.options[select.selectedIndex];
    return option && option.getAttribute("data-text");
  }
  function fill(form) {
    var text = chosenText(form.querySelector("[data-reply-template]"));
    var body = form.querySelector("textarea[name=body]");
    if (!text || !body) return;
    var requirement = form.querySelector("[data-reply-requirement]");
    var option = requirement && requirement.options[requirement.selectedIndex];
    var name = option ? option.textContent.trim() : "[requirement]";
    body.value = text.split("{requirement}").join(name);
    body.focus();
  }
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!target || !target.closest) return;
    var form = target.closest("form");
    if (!form) return;
    if (target.hasAttribute("data-reply-template")) {
      fill(form);
    } else if (target.hasAttribute("data-reply-requirement")) {
      var text = chosenText(form.querySelector("[data-reply-template]"));
      if (text && text.indexOf("{requirement}") !== -1) fill(form);
    }
  });
})();
