(function () {
  "use strict";
  var list = document.getElementById("finding-list");
  if (!list) { return; }
  var severity = document.getElementById("filter-severity");
  var endpoint = document.getElementById("filter-endpoint");
  var check = document.getElementById("filter-check");
  var count = document.getElementById("filter-count");
  var none = document.getElementById("filter-none");
  var items = Array.prototype.slice.call(list.querySelectorAll(".finding"));
  var causes = Array.prototype.slice.call(list.querySelectorAll(".cause"));

  function apply() {
    var minRank = Number(severity.value);
    var wantEndpoint = endpoint.value;
    var wantCheck = check.value;
    var shown = 0;
    items.forEach(function (item) {
      var visible = Number(item.getAttribute("data-rank")) >= minRank &&
        (wantEndpoint === "" || item.getAttribute("data-endpoint") === wantEndpoint) &&
        (wantCheck === "" || item.getAttribute("data-check") === wantCheck);
      item.hidden = !visible;
      if (visible) { shown += 1; }
    });
    causes.forEach(function (cause) { cause.hidden = !cause.querySelector(".finding:not([hidden])"); });
    count.textContent = shown + " of " + items.length + " findings shown";
    none.hidden = shown !== 0;
  }

  function openAll(open) {
    items.concat(causes).forEach(function (item) { if (!item.hidden) { item.open = open; } });
  }

  [severity, endpoint, check].forEach(function (select) { select.addEventListener("change", apply); });
  document.getElementById("expand-all").addEventListener("click", function () { openAll(true); });
  document.getElementById("collapse-all").addEventListener("click", function () { openAll(false); });
  document.getElementById("filter-reset").addEventListener("click", function () {
    severity.value = "0"; endpoint.value = ""; check.value = ""; apply();
  });
  apply();
})();
