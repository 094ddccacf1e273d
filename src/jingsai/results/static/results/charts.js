// The score distribution on the results page: totals in bands of five, stacked by award
// (warm colours for the awards in the rules' order, grey for no award).
document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("histogram");
  var source = document.getElementById("histogram-data");
  if (!box || !source || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var awardColours = ["#c0392b", "#e67e22", "#f1c40f", "#27ae60", "#2980b9", "#8e44ad"];
  var chart = echarts.init(box);
  var next = 0;
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 40, right: 10, top: 30, bottom: 30 },
    xAxis: { type: "category", data: data.labels },
    yAxis: { type: "value", minInterval: 1 },
    series: data.series.map(function (s) {
      var colour = s.award ? awardColours[next++ % awardColours.length] : "#adb5bd";
      return { name: s.name, type: "bar", stack: "total", data: s.data, itemStyle: { color: colour } };
    })
  });
  window.addEventListener("resize", function () { chart.resize(); });
});
