// The rule editor: numbering new rows, removing rows, showing the inputs a row's kind
// uses, and keeping the list of component keys the tie-breakers offer.
(function () {
  "use strict";

  window.jingsaiNextRow = function (section) {
    var next = 0;
    document.querySelectorAll('[data-section="' + section + '"] > .rule-row').forEach(function (row) {
      next = Math.max(next, parseInt(row.dataset.index, 10) + 1);
    });
    return next;
  };

  function form() { return document.getElementById("rule-form"); }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-remove-row]");
    if (!button) return;
    button.closest(".rule-row").remove();
    form().dispatchEvent(new Event("change", { bubbles: true }));
    refreshKeys();
  });

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select.matches && select.matches('select[name$="-kind"]')) {
      select.closest(".rule-row").dataset.kind = select.value;
    }
  });

  function refreshKeys() {
    var list = document.getElementById("component-keys");
    if (!list) return;
    list.innerHTML = "";
    document.querySelectorAll('input[name^="components-"][name$="-key"]').forEach(function (input) {
      if (!input.value) return;
      var option = document.createElement("option");
      option.value = input.value;
      list.appendChild(option);
    });
  }

  // On a phone the summary starts folded, so the form comes first.
  document.querySelectorAll(".rule-preview-box details").forEach(function (box) {
    if (window.innerWidth < 992) box.removeAttribute("open");
  });

  document.addEventListener("input", function (event) {
    if (event.target.matches('input[name^="components-"][name$="-key"]')) refreshKeys();
  });
})();
