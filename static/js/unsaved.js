/* Guards the sections of a page that are saved separately (the application's edit page: answers, form,
   materials). A section whose fields differ from what the page was rendered with shows a note; saving one
   section while another has changes asks first (saving reloads the page and the other changes would be lost);
   leaving the page with changes makes the browser ask too. The texts come translated from the page:
   the container's data-confirm holds the question with "%s" for the sections' names, data-joiner their
   separator; each guarded form names its section in data-section-name. Without JavaScript the page works as
   before, and each section's help text says that it is saved on its own. */
(function () {
  "use strict";

  function state(form) {
    var parts = [];
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || field.type === "hidden" || field.type === "submit" || field.type === "button") { return; }
      if (field.type === "checkbox" || field.type === "radio") {
        parts.push(field.name + "=" + field.value + ":" + field.checked);
      } else if (field.type === "file") {
        parts.push(field.name + ":" + field.files.length);
      } else if (field.multiple) {
        parts.push(field.name + "=" + Array.prototype.filter.call(field.options, function (o) { return o.selected; })
          .map(function (o) { return o.value; }).join(","));
      } else {
        parts.push(field.name + "=" + field.value);
      }
    });
    return parts.join("\n");
  }

  function start() {
    var page = document.querySelector("[data-unsaved-guard]");
    if (!page) { return; }
    var guarded = Array.prototype.slice.call(page.querySelectorAll("form[data-section-name]"));
    var initial = new Map(guarded.map(function (form) { return [form, state(form)]; }));
    var leaving = false;

    function dirty(form) { return state(form) !== initial.get(form); }

    function mark(form) {
      var changed = dirty(form);
      form.classList.toggle("unsaved", changed);
      var note = form.querySelector(".unsaved-note");
      if (note) { note.hidden = !changed; }
    }

    guarded.forEach(function (form) {
      form.addEventListener("input", function () { mark(form); });
      form.addEventListener("change", function () { mark(form); });
    });

    Array.prototype.forEach.call(page.querySelectorAll("form"), function (form) {
      form.addEventListener("submit", function (event) {
        var others = guarded.filter(function (other) { return other !== form && dirty(other); });
        if (others.length) {
          var names = others.map(function (other) { return other.dataset.sectionName; });
          var question = page.dataset.confirm.replace("%s", names.join(page.dataset.joiner || ", "));
          if (!window.confirm(question)) {
            event.preventDefault();
            return;
          }
        }
        leaving = true;
      });
    });

    window.addEventListener("beforeunload", function (event) {
      if (leaving || !guarded.some(dirty)) { return; }
      event.preventDefault();
      event.returnValue = "";  // older browsers show their own question only when this is set
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
