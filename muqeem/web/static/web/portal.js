// Confirmation dialogs and single submission: a second click on a form already sent does nothing.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.submitted === "1") { event.preventDefault(); return; }
    form.dataset.submitted = "1";
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.setAttribute("aria-busy", "true"); });
  });
  // Show only the duration field that matches the chosen unit (days/months or a return date).
  function syncDuration() {
    var unit = document.getElementById("id_duration_unit");
    if (!unit) { return; }
    var byDate = unit.value === "return_before";
    var value = document.getElementById("id_duration_value");
    var date = document.getElementById("id_return_before");
    if (value) { value.closest("div").hidden = byDate; }
    if (date) { date.closest("div").hidden = !byDate; }
  }
  document.addEventListener("change", function (event) {
    if (event.target.id === "id_duration_unit") { syncDuration(); }
  });
  document.addEventListener("DOMContentLoaded", syncDuration);
  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-open-dialog]");
    if (opener) {
      var dialog = document.getElementById(opener.dataset.openDialog);
      if (dialog && typeof dialog.showModal === "function") { event.preventDefault(); dialog.showModal(); }
      return;
    }
    var closer = event.target.closest("[data-close-dialog]");
    if (closer) { event.preventDefault(); closer.closest("dialog").close(); }
    var printer = event.target.closest("[data-print]");
    if (printer) { event.preventDefault(); window.print(); }
  });
})();
