// Sortable tables: click a header to sort by that column (numbers by value, text by
// Chinese collation); click again to reverse, a third time for the page's own order
// (a department tree). Cells may carry data-v for the sort value. A sorted table has
// the class "sorted", which shows each department's parents (style.css).
(function () {
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.querySelectorAll("thead th");
    var body = table.tBodies[0];
    Array.prototype.forEach.call(body.rows, function (row, i) { row.dataset.i = i; });
    heads.forEach(function (th, col) {
      th.setAttribute("role", "button");
      th.tabIndex = 0;
      var sort = function () {
        var was = th.getAttribute("aria-sort");
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        var rows = Array.prototype.slice.call(body.rows);
        if (was === "descending") {
          table.classList.remove("sorted");
          rows.sort(function (a, b) { return a.dataset.i - b.dataset.i; });
          rows.forEach(function (row) { body.appendChild(row); });
          return;
        }
        var asc = was !== "ascending";
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        table.classList.add("sorted");
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
