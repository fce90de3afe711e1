// Charts of fupin's pages, drawn with ECharts (vendor/echarts). A page puts each chart's
// data in a <script type="application/json" id="…"> (Django's json_script) and an element
// with data-chart="that id"; this file finds them and draws. No inline scripts (CSP).
(function () {
  "use strict";

  var PALETTE = ["#0d6efd", "#fd7e14", "#20c997", "#6f42c1", "#dc3545", "#ffc107", "#0dcaf0", "#6c757d"];

  // A waterfall (the dynamic-management page): the stock at the start, each passage as a
  // step up or down, the stock at the end. A bar is a transparent base plus a visible
  // increase or decrease, stacked.
  function waterfall(spec) {
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
        { name: spec.names[0], type: "bar", stack: "all", data: spec.up, itemStyle: { color: PALETTE[0] },
          label: { show: true, position: "top", formatter: function (p) { return p.value || ""; } } },
        { name: spec.names[1], type: "bar", stack: "all", data: spec.down, itemStyle: { color: PALETTE[4] },
          label: { show: true, position: "bottom", formatter: function (p) { return p.value ? "−" + p.value : ""; } } }
      ]
    };
  }

  function option(spec) {
    if (spec.type === "waterfall") { return waterfall(spec); }
    var base = {
      color: PALETTE,
      title: { text: spec.title || "", left: "center", textStyle: { fontSize: 14, fontWeight: 500 } },
      tooltip: { trigger: spec.type === "pie" ? "item" : "axis" },
      legend: { bottom: 0 }
    };
    if (spec.type === "pie") {
      var s = spec.series[0] || { data: [] };
      base.series = [{
        name: s.name, type: "pie", radius: ["30%", "58%"], center: ["50%", "45%"],
        label: { formatter: "{d}%" },
        data: spec.labels.map(function (label, i) { return { name: label, value: s.data[i] }; })
      }];
      return base;
    }
    var categoryAxis = { type: "category", data: spec.labels, axisLabel: { interval: 0, rotate: spec.labels.length > 12 && !spec.horizontal ? 45 : 0 } };
    var valueAxes = [{ type: "value" }];
    if (spec.right_axis) {
      valueAxes.push({ type: "value", axisLabel: { formatter: "{value}" + spec.right_axis }, splitLine: { show: false } });
    }
    base.grid = { left: 60, right: spec.right_axis ? 60 : 30, top: 40, bottom: spec.labels.length > 12 && !spec.horizontal ? 90 : 50, containLabel: true };
    if (spec.horizontal) {
      base.xAxis = Object.assign({}, valueAxes[0], { splitNumber: 3 });
      base.yAxis = Object.assign({}, categoryAxis, { inverse: true,
        axisLabel: { interval: 0, width: 110, overflow: "break" } });
    } else {
      base.xAxis = categoryAxis;
      base.yAxis = valueAxes;
    }
    base.series = spec.series.map(function (s) {
      var serie = { name: s.name, type: s.kind || "bar", data: s.data };
      if (s.axis && !spec.horizontal) { serie.yAxisIndex = s.axis; }
      if (serie.type === "line") { serie.smooth = true; serie.connectNulls = true; }
      return serie;
    });
    if (spec.labels.length > 30 && !spec.horizontal) {
      base.dataZoom = [{ type: "slider", bottom: 30, height: 16 }, { type: "inside" }];
    }
    return base;
  }

  function draw() {
    if (!window.echarts) { return; }
    var charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-chart"));
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
