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

  // A bar leads to the list of the records it counts (the same link as the number in the table beneath):
  // `urlOf(seriesIndex, dataIndex)` names it.
  function linkBars(chart, urlOf) {
    if (!chart) { return; }
    chart.on("click", function (params) {
      var url = urlOf(params.seriesIndex, params.dataIndex);
      if (url) { window.location.assign(url); }
    });
  }

  var GRID = { left: 140, right: 24 };  // the horizontal charts' margins around the plot, in pixels

  // A stacked segment's number goes inside the segment, in its own colour's contrast, and only where it fits:
  // at the end of a segment it would sit in the next one. The plot's width is read when ECharts draws the
  // label (so a resize counts); the axis ends at the largest stack (`max: "dataMax"`).
  function insideLabel(element, largest) {
    return {
      show: true,
      position: "inside",
      formatter: function (params) {
        var value = Number(params.value) || 0;
        if (!value || !largest) { return ""; }
        var plot = Math.max(element.clientWidth - GRID.left - GRID.right, 1);
        var needed = String(value).length * 8 + 8;
        return value / largest * plot >= needed ? String(value) : "";
      }
    };
  }

  function bars(categories, series, horizontal, element) {
    var category = { type: "category", data: categories, axisLabel: { interval: 0, overflow: "truncate", width: 120 } };
    var value = { type: "value", minInterval: 1 };
    var stacked = series.some(function (s) { return s.stack; });
    var largest = 0;
    if (stacked) {
      categories.forEach(function (_name, i) {
        var total = series.reduce(function (sum, s) { return sum + (Number(s.data[i]) || 0); }, 0);
        largest = Math.max(largest, total);
      });
      value.max = "dataMax";
    }
    return {
      legend: series.length > 1 ? {} : undefined,
      grid: { left: horizontal ? GRID.left : 48, right: GRID.right, top: series.length > 1 ? 36 : 16, bottom: 48 },
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? category : value,
      series: series.map(function (s) {
        var label = s.stack && horizontal && element
          ? insideLabel(element, largest)
          : { show: true, position: horizontal ? "right" : "top" };
        return { name: s.name, type: "bar", data: s.data, stack: s.stack, label: label, labelLayout: { hideOverlap: true } };
      })
    };
  }

  function start() {
    var source = document.getElementById("overview-data");
    if (!source) { return; }
    var data = JSON.parse(source.textContent);
    var L = data.labels;

    linkBars(draw("chart-status", bars(
      data.by_status.map(function (row) { return row.label; }),
      [{ name: L.applications, data: data.by_status.map(function (row) { return row.count; }) }],
      false
    )), function (_series, i) { return data.by_status[i].url; });

    // Stacked by status: each number inside its own segment, none for a segment too narrow to hold it (the
    // table beneath gives every number and the totals).
    linkBars(draw("chart-bundle", bars(
      data.by_bundle.bundles.map(function (row) { return row.name; }),
      data.by_bundle.statuses.map(function (status, i) {
        return { name: status, stack: "total", data: data.by_bundle.bundles.map(function (row) { return row.counts[i]; }) };
      }),
      true,
      document.getElementById("chart-bundle")
    )), function (series, i) { return data.by_bundle.bundles[i].urls[series]; });

    linkBars(draw("chart-departments", bars(
      data.departments.map(function (row) { return row.name; }),
      [
        { name: L.open, data: data.departments.map(function (row) { return row.open; }) },
        { name: L.overdue, data: data.departments.map(function (row) { return row.overdue; }) },
        { name: L.escalated, data: data.departments.map(function (row) { return row.escalated; }) }
      ],
      true
    )), function (series, i) { return data.departments[i].urls[series]; });

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
          { name: row.labels[0] || L.separately, data: [row.separately.steps, row.separately.materials, row.separately.days] },
          { name: row.labels[1] || L.bundled, data: [row.bundled.steps, row.bundled.materials, row.bundled.days] }
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
