/* A monitoring section's months (templates/problems/rivers/section.html), drawn by the vendored ECharts from
   the json_script #river-chart: {months: ["2020-01", …], classes: [4, null, …], target: 5,
   class_names: {"1": "Ⅰ", …, "6": "劣Ⅴ"}, indicators: [{key, label, values}], labels: {class, target,
   indicators}}. The class chart has Ⅰ (cleanest) at the top and the target as a dashed line; the indicators'
   chart shows ammonia nitrogen and total phosphorus at first (the legend adds COD and DO). The tables beneath
   hold the same numbers, so without JavaScript nothing is lost. */
(function () {
  "use strict";

  var COLOURS = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9"];
  var FIRST_SHOWN = { ammonia_nitrogen: true, total_phosphorus: true, cod: false, dissolved_oxygen: false };

  function start() {
    var source = document.getElementById("river-chart");
    if (!source || typeof window.echarts === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var charts = [];
    var names = data.class_names;

    var classBox = document.getElementById("river-class-chart");
    if (classBox) {
      var classChart = window.echarts.init(classBox);
      classChart.setOption({
        animation: false,
        color: COLOURS,
        grid: { left: 48, right: 24, top: 24, bottom: 48 },
        tooltip: {
          trigger: "axis",
          valueFormatter: function (value) { return value == null ? "—" : names[String(value)]; }
        },
        xAxis: { type: "category", data: data.months, axisLabel: { hideOverlap: true } },
        yAxis: {
          type: "value", min: 1, max: 6, interval: 1, inverse: true,
          axisLabel: { formatter: function (value) { return names[String(value)] || ""; } }
        },
        dataZoom: data.months.length > 36 ? [{ type: "inside" }] : [],
        series: [{
          name: data.labels["class"],
          type: "line",
          step: "middle",
          data: data.classes,
          connectNulls: false,
          symbolSize: 5,
          markLine: {
            silent: true,
            symbol: "none",
            lineStyle: { type: "dashed", color: "#b42318" },
            label: { formatter: data.labels.target + " " + names[String(data.target)], position: "insideEndTop" },
            data: [{ yAxis: data.target }]
          }
        }]
      });
      classBox.setAttribute("data-drawn", "true");
      charts.push(classChart);
    }

    var indicatorBox = document.getElementById("river-indicator-chart");
    var measured = (data.indicators || []).filter(function (indicator) {
      return indicator.values.some(function (value) { return value !== null; });
    });
    if (indicatorBox && !measured.length) { indicatorBox.hidden = true; }
    if (indicatorBox && measured.length) {
      var selected = {};
      measured.forEach(function (indicator) { selected[indicator.label] = FIRST_SHOWN[indicator.key] !== false; });
      var indicatorChart = window.echarts.init(indicatorBox);
      indicatorChart.setOption({
        animation: false,
        color: COLOURS.slice(1),
        title: { text: data.labels.indicators, left: 0, top: 0, textStyle: { fontSize: 13 } },
        legend: { top: 24, selected: selected },
        grid: { left: 48, right: 24, top: 64, bottom: 48 },
        tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: data.months, axisLabel: { hideOverlap: true } },
        yAxis: { type: "value" },
        dataZoom: data.months.length > 36 ? [{ type: "inside" }] : [],
        series: measured.map(function (indicator) {
          return { name: indicator.label, type: "line", data: indicator.values, connectNulls: false, symbolSize: 4 };
        })
      });
      indicatorBox.setAttribute("data-drawn", "true");
      charts.push(indicatorChart);
    }

    window.addEventListener("resize", function () { charts.forEach(function (chart) { chart.resize(); }); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
