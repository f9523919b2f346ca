/* Dashboard charts (ECharts) and the sortable unit table. Data comes from json_script. */
(function () {
  "use strict";
  var node = document.getElementById("tallies-data");
  if (!node || typeof echarts === "undefined") { return; }
  var data = JSON.parse(node.textContent);
  var charts = [];

  function draw(id, option) {
    var el = document.getElementById(id);
    if (!el) { return; }
    var chart = echarts.init(el);
    chart.setOption(option);
    charts.push(chart);
  }

  function pie(items) {
    return {
      tooltip: { trigger: "item" },
      series: [{ type: "pie", radius: ["35%", "65%"], data: items, label: { formatter: "{b}\n{c}" } }]
    };
  }

  draw("chart-daily", {
    tooltip: { trigger: "axis" },
    grid: { left: 50, right: 16, top: 16, bottom: 30 },
    xAxis: { type: "category", data: data.daily.days },
    yAxis: { type: "value" },
    series: [{ name: data.labels.received, type: "line", smooth: true, areaStyle: {}, data: data.daily.received }]
  });
  draw("chart-channel", pie(data.channel));
  draw("chart-identity", pie(data.identity));
  draw("chart-topic", {
    tooltip: { trigger: "axis" },
    grid: { left: 100, right: 16, top: 8, bottom: 24 },
    xAxis: { type: "value" },
    yAxis: { type: "category", data: data.topic.map(function (t) { return t.name; }).reverse() },
    series: [{ type: "bar", data: data.topic.map(function (t) { return t.value; }).reverse() }]
  });
  draw("chart-units", {
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 130, right: 16, top: 28, bottom: 24 },
    xAxis: { type: "value" },
    yAxis: { type: "category", data: data.units.map(function (u) { return u.name; }) },
    dataZoom: data.units.length > 20 ? [{ type: "slider", yAxisIndex: 0, right: 0, start: 70, end: 100 }] : [],
    series: [
      { name: data.labels.total, type: "bar", data: data.units.map(function (u) { return u.total; }) },
      { name: data.labels.excellent, type: "bar", data: data.units.map(function (u) { return u.excellent; }) }
    ]
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });

  // Sortable table: click a header button; a second click reverses.
  var table = document.getElementById("unit-table");
  if (!table) { return; }
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
      descending = !descending;
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
})();
