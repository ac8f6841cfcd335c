/* Draws the cockpit's charts with the vendored ECharts from the JSON in #cockpit-data. Every chart has a table
   of the same numbers beneath it; a bar, like a number in the table, opens the records it counts. The map of
   problems is drawn by zone_map.js; an area there opens that area's problems. Without JavaScript the tables
   remain. */
(function () {
  "use strict";

  // Colour-blind-safe (Okabe–Ito), the same order on every chart.
  var COLOURS = ["#0072b2", "#d55e00", "#cc79a7", "#009e73", "#e69f00", "#56b4e9", "#f0e442", "#000000"];
  var drawn = [];

  function draw(element, option) {
    if (!element || typeof window.echarts === "undefined") { return null; }
    var chart = window.echarts.init(element);
    chart.setOption(Object.assign({ animation: false, color: COLOURS, tooltip: { trigger: "axis" } }, option));
    element.setAttribute("data-drawn", "true");
    drawn.push(chart);
    return chart;
  }

  function bars(categories, series, horizontal, integer) {
    var category = {
      type: "category",
      data: categories,
      inverse: horizontal,
      axisLabel: { interval: 0, overflow: "truncate", width: horizontal ? 150 : 80 }
    };
    var value = integer ? { type: "value", minInterval: 1 } : { type: "value" };
    return {
      legend: series.length > 1 ? { top: 0 } : undefined,
      grid: { left: horizontal ? 160 : 48, right: 40, top: series.length > 1 ? 32 : (horizontal ? 12 : 24), bottom: horizontal ? 24 : 48 },
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? category : value,
      series: series.map(function (s) {
        return {
          name: s.label,
          type: "bar",
          data: s.values,
          label: { show: true, position: horizontal ? "right" : "top" },
          labelLayout: { hideOverlap: true }
        };
      })
    };
  }

  function height(chart) {
    if (!chart.horizontal) { return 280; }
    return Math.max(160, 40 + chart.categories.length * 26 * Math.max(1, chart.series.length * 0.8));
  }

  function start() {
    var source = document.getElementById("cockpit-data");
    if (!source) { return; }
    var data = JSON.parse(source.textContent);

    data.charts.forEach(function (chart) {
      if (chart.map) {
        var box = document.getElementById("map-" + chart.key);
        if (box) {
          box.addEventListener("zone-area-selected", function (event) {
            var index = chart.categories.findIndex(function (c) { return c.value === event.detail.code; });
            if (index >= 0 && chart.series[0].values[index]) { window.location.assign(chart.series[0].urls[index]); }
          });
        }
        return;
      }
      var element = document.getElementById("chart-" + chart.key);
      if (!element || !chart.categories.length) {
        if (element) { element.hidden = true; }
        return;
      }
      element.style.height = height(chart) + "px";
      var drawnChart = draw(element, bars(
        chart.categories.map(function (c) { return c.label; }),
        chart.series,
        chart.horizontal,
        chart.integer
      ));
      if (drawnChart) {
        drawnChart.on("click", function (params) {
          var url = chart.series[params.seriesIndex].urls[params.dataIndex];
          if (url) { window.location.assign(url); }
        });
      }
    });

    var reform = document.getElementById("chart-reform");
    if (reform) {
      var L = data.labels;
      data.reform.forEach(function (row) {
        var box = document.createElement("div");
        box.className = "chart reform-chart";
        reform.appendChild(box);
        var option = bars(
          [L.steps, L.materials, L.days],
          [
            { label: row.labels[0] || L.separately, values: [row.separately.steps, row.separately.materials, row.separately.days] },
            { label: row.labels[1] || L.bundled, values: [row.bundled.steps, row.bundled.materials, row.bundled.days] }
          ],
          false,
          true
        );
        // A long bundle name wraps within the chart (two lines at most on a phone) instead of being cut at
        // both ends; the plot starts below it, with room for the value labels of the tallest bars.
        option.title = {
          text: row.title, left: "center", top: 0,
          textStyle: { fontSize: 13, lineHeight: 17, width: Math.max(box.clientWidth - 16, 120), overflow: "break" }
        };
        option.legend = { bottom: 0 };
        option.grid.top = 64;
        draw(box, option);
      });
    }

    window.addEventListener("resize", function () { drawn.forEach(function (chart) { chart.resize(); }); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
