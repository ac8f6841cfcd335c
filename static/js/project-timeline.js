/* Draws a project's milestones, planned against actual, with the vendored ECharts from the JSON in
   #project-timeline-data: one row per milestone, a grey mark on the planned day, a coloured one on the
   actual day (green on time, orange late), a red ring where the planned day has passed without it, and a
   line for today. The table beneath the chart says the same; without JavaScript it remains. */
(function () {
  "use strict";

  function start() {
    var element = document.getElementById("project-timeline");
    var source = document.getElementById("project-timeline-data");
    if (!element || !source || typeof window.echarts === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var english = (document.documentElement.lang || "").indexOf("en") === 0;
    var labels = data.rows.map(function (row) { return row.label; });
    function day(text) { return text ? new Date(text + "T00:00:00").getTime() : null; }
    var planned = data.rows.map(function (row, i) { return row.planned ? [day(row.planned), i] : null; });
    var actual = data.rows.map(function (row, i) {
      if (!row.actual) { return null; }
      return { value: [day(row.actual), i], itemStyle: { color: row.state === "late" ? "#b45309" : "#15803d" } };
    });
    var overdue = data.rows.map(function (row, i) {
      return row.state === "overdue" ? [day(row.planned), i] : null;
    });
    var chart = window.echarts.init(element);
    var narrow = element.clientWidth < 480;  // a phone: shorter milestone names, fewer month labels
    chart.setOption({
      animation: false,
      grid: { left: narrow ? 96 : 150, right: 24, top: 36, bottom: 36 },
      legend: { top: 0 },
      tooltip: { trigger: "item", formatter: function (p) {
        return labels[p.value[1]] + "<br>" + p.seriesName + " " + new Date(p.value[0]).toISOString().slice(0, 10);
      } },
      xAxis: { type: "time", splitNumber: narrow ? 3 : 6, axisLabel: { hideOverlap: true } },
      yAxis: { type: "category", data: labels, inverse: true,
        axisLabel: { width: narrow ? 88 : 140, overflow: "truncate" } },
      series: [
        { name: english ? "Planned" : "计划", type: "scatter", symbol: "rect", symbolSize: 12,
          itemStyle: { color: "#94a3b8" }, data: planned,
          markLine: { silent: true, symbol: "none", lineStyle: { color: "#1d4ed8", type: "dashed" },
            label: { formatter: english ? "Today" : "今天" }, data: [{ xAxis: day(data.today) }] } },
        { name: english ? "Actual" : "实际", type: "scatter", symbolSize: 14, itemStyle: { color: "#15803d" },
          data: actual },
        { name: english ? "Overdue" : "逾期未完成", type: "scatter", symbol: "emptyCircle", symbolSize: 16,
          itemStyle: { color: "#b91c1c" }, data: overdue }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
