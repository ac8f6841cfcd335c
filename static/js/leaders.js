/* Draws the leaders' overview charts with the vendored ECharts from the JSON in #overview-data.
   Every chart repeats the numbers of the table beneath it; without JavaScript the tables remain. */
(function () {
  "use strict";

  function draw(id, option) {
    var element = document.getElementById(id);
    if (!element || typeof window.echarts === "undefined") { return null; }
    var chart = window.echarts.init(element);
    chart.setOption(Object.assign({ animation: false, tooltip: { trigger: "axis" } }, option));
    window.addEventListener("resize", function () { chart.resize(); });
    return chart;
  }

  function bars(categories, series, horizontal) {
    var category = { type: "category", data: categories, axisLabel: { interval: 0, overflow: "truncate", width: 120 } };
    var value = { type: "value", minInterval: 1 };
    return {
      legend: series.length > 1 ? {} : undefined,
      grid: { left: horizontal ? 140 : 48, right: 24, top: series.length > 1 ? 36 : 16, bottom: 48 },
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? category : value,
      series: series.map(function (s) {
        return { name: s.name, type: "bar", data: s.data, stack: s.stack, label: { show: true, position: horizontal ? "right" : "top" } };
      })
    };
  }

  function start() {
    var source = document.getElementById("overview-data");
    if (!source) { return; }
    var data = JSON.parse(source.textContent);
    var L = data.labels;

    draw("chart-status", bars(
      data.by_status.map(function (row) { return row.label; }),
      [{ name: L.applications, data: data.by_status.map(function (row) { return row.count; }) }],
      false
    ));

    draw("chart-bundle", bars(
      data.by_bundle.bundles.map(function (row) { return row.name; }),
      data.by_bundle.statuses.map(function (status, i) {
        return { name: status, stack: "total", data: data.by_bundle.bundles.map(function (row) { return row.counts[i]; }) };
      }),
      true
    ));

    draw("chart-departments", bars(
      data.departments.map(function (row) { return row.name; }),
      [
        { name: L.open, data: data.departments.map(function (row) { return row.open; }) },
        { name: L.overdue, data: data.departments.map(function (row) { return row.overdue; }) },
        { name: L.escalated, data: data.departments.map(function (row) { return row.escalated; }) }
      ],
      true
    ));

    draw("chart-elapsed", bars(
      data.elapsed.map(function (row) { return row.name; }),
      [
        { name: L.average, data: data.elapsed.map(function (row) { return row.average; }) },
        { name: L.median, data: data.elapsed.map(function (row) { return row.median; }) },
        { name: L.promised, data: data.elapsed.map(function (row) { return row.promised; }) }
      ],
      true
    ));

    data.reform.forEach(function (row, i) {
      var option = bars(
        [L.steps, L.materials, L.days],
        [
          { name: L.separately, data: [row.separately.steps, row.separately.materials, row.separately.days] },
          { name: L.bundled, data: [row.bundled.steps, row.bundled.materials, row.bundled.days] }
        ],
        false
      );
      option.title = { text: row.title, show: false };
      draw("chart-reform-" + i, option);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
