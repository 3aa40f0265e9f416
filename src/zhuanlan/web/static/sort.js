// Sortable tables: click a header to sort by that column (numbers by value, text by
// Chinese collation); click again to reverse. Cells may carry data-v for the sort value.
(function () {
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.querySelectorAll("thead th");
    heads.forEach(function (th, col) {
      th.setAttribute("role", "button");
      th.tabIndex = 0;
      var sort = function () {
        var asc = th.getAttribute("aria-sort") !== "ascending";
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var key = function (row) {
          var cell = row.cells[col];
          var v = cell.getAttribute("data-v");
          if (v === null) v = cell.textContent.trim();
          var n = parseFloat(v);
          return isNaN(n) ? v : n;
        };
        rows.sort(function (a, b) {
          var x = key(a), y = key(b), r;
          if (typeof x === "number" && typeof y === "number") r = x - y;
          else r = String(x).localeCompare(String(y), "zh-CN");
          return asc ? r : -r;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      };
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") sort(); });
    });
  });
})();
