// The score distribution on the results page: totals in bands of five, stacked by award.
document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("histogram");
  var source = document.getElementById("histogram-data");
  if (!box || !source || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var chart = echarts.init(box);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 40, right: 10, top: 30, bottom: 30 },
    xAxis: { type: "category", data: data.labels },
    yAxis: { type: "value", minInterval: 1 },
    series: data.series.map(function (s) { return { name: s.name, type: "bar", stack: "total", data: s.data }; })
  });
  window.addEventListener("resize", function () { chart.resize(); });
});
