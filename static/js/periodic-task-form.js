// The periodic task form (admin): shows the chosen crontab in words under its field.
// Same behaviour as django-celery-beat's inline script, from a file our CSP allows.
(function () {
  "use strict";

  function init() {
    var data = document.getElementById("readable-crontabs");
    var select = document.getElementById("id_crontab");
    var help = document.querySelector(".field-crontab .help");
    var translation = document.querySelector(".field-crontab_translation");
    if (translation) {
      translation.style.display = "none";
    }
    if (!data || !select || !help) {
      return;
    }
    var readable = JSON.parse(data.textContent);
    var original = help.textContent;
    select.addEventListener("change", function () {
      help.textContent = original;
      var words = readable[select.value];
      if (words) {
        help.appendChild(document.createElement("br"));
        help.appendChild(document.createTextNode("Translation: " + words));
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
