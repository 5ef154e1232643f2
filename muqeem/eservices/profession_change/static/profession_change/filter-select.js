// A search box that narrows a <select>'s options by code or name (Arabic-Indic digits accepted).
// Shown only when this script runs; without it the plain <select> still works.
(function () {
  "use strict";
  function norm(s) {
    return (s || "")
      .replace(/[\u0660-\u0669]/g, function (d) { return String(d.charCodeAt(0) - 0x0660); })
      .toLowerCase()
      .trim();
  }
  document.querySelectorAll("input[data-filter-select]").forEach(function (input) {
    var select = document.getElementById(input.dataset.filterSelect);
    if (!select) { return; }
    input.hidden = false;
    input.addEventListener("input", function () {
      var q = norm(input.value);
      var first = null;
      Array.prototype.forEach.call(select.options, function (opt) {
        if (!opt.value) { return; }
        var show = !q || norm(opt.text).indexOf(q) !== -1;
        opt.hidden = !show;
        if (show && first === null) { first = opt; }
      });
      var current = select.options[select.selectedIndex];
      if (q && first !== null && (!current || current.hidden || !current.value)) {
        select.value = first.value;
      }
    });
  });
})();
