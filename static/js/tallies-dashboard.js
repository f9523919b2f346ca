/* Dashboard: the sortable unit table. The charts are drawn on the server (SVG and HTML);
   the page works without this script. */
(function () {
  "use strict";
  var table = document.getElementById("unit-table");
  if (!table) { return; }
  var headers = table.querySelectorAll("thead th");
  // Click a header button to sort its column (largest first); a second click reverses.
  // Only the first tbody is sorted: the 本级 rows stay below the units.
  table.querySelectorAll("th button[data-sort]").forEach(function (button, column) {
    var descending = true;
    button.addEventListener("click", function () {
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var numeric = button.dataset.sort === "number";
      rows.sort(function (a, b) {
        var x = a.cells[column], y = b.cells[column];
        var result = numeric
          ? Number(x.dataset.value) - Number(y.dataset.value)
          : x.textContent.trim().localeCompare(y.textContent.trim(), "zh-CN");
        return descending ? -result : result;
      });
      headers.forEach(function (th) { th.removeAttribute("aria-sort"); });
      headers[column].setAttribute("aria-sort", descending ? "descending" : "ascending");
      descending = !descending;
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
})();
