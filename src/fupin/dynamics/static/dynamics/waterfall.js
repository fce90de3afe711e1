// The waterfall chart of the dynamic-management page (ECharts, vendor/echarts): the poor
// stock at the start of the year, each passage as a step up or down, the stock at the end.
// Its data is in a <script type="application/json"> named by data-waterfall (no inline
// scripts: CSP). A bar is a transparent base plus a visible increase or decrease, stacked.
(function () {
  "use strict";

  function option(spec) {
    return {
      title: { text: spec.title || "", left: "center", textStyle: { fontSize: 14, fontWeight: 500 } },
      tooltip: {
        trigger: "axis", axisPointer: { type: "shadow" },
        formatter: function (items) {
          var shown = items.filter(function (i) { return i.seriesIndex > 0 && i.value; });
          var name = items.length ? items[0].name : "";
          return name + (shown.length ? ": " + shown.map(function (i) { return i.value; }).join(", ") : ": 0");
        }
      },
      legend: { bottom: 0, data: spec.names },
      grid: { left: 50, right: 30, top: 50, bottom: 50, containLabel: true },
      xAxis: { type: "category", data: spec.labels, axisLabel: { interval: 0, width: 56, overflow: "break", fontSize: 11 } },
      yAxis: { type: "value" },
      series: [
        { name: "base", type: "bar", stack: "all", silent: true, data: spec.base,
          itemStyle: { color: "transparent", borderColor: "transparent" } },
        { name: spec.names[0], type: "bar", stack: "all", data: spec.up, itemStyle: { color: "#0d6efd" },
          label: { show: true, position: "top", formatter: function (p) { return p.value || ""; } } },
        { name: spec.names[1], type: "bar", stack: "all", data: spec.down, itemStyle: { color: "#dc3545" },
          label: { show: true, position: "bottom", formatter: function (p) { return p.value ? "−" + p.value : ""; } } }
      ]
    };
  }

  function draw() {
    if (!window.echarts) { return; }
    var charts = [];
    document.querySelectorAll("[data-waterfall]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-waterfall"));
      if (!source) { return; }
      var chart = window.echarts.init(el);
      chart.setOption(option(JSON.parse(source.textContent)));
      charts.push(chart);
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (c) { c.resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
