// Judge statistics: leniency and spread per judge, and leniency by judge and aspect.
(function () {
  "use strict";
  var source = document.getElementById("stats-data");
  if (!source || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  var labels = document.getElementById("stats-labels").dataset;
  var names = data.judges.map(function (j) { return j.name + " " + j.code; });

  echarts.init(document.getElementById("chart-bias")).setOption({
    tooltip: {trigger: "axis", valueFormatter: function (v) { return v + "%"; }},
    legend: {data: [labels.bias, labels.spread]},
    grid: {left: 110, right: 20, top: 40, bottom: 30},
    xAxis: {type: "value", axisLabel: {formatter: "{value}%"}},
    yAxis: {type: "category", data: names},
    series: [
      {name: labels.bias, type: "bar", data: data.judges.map(function (j) { return j.bias; })},
      {name: labels.spread, type: "bar", data: data.judges.map(function (j) { return j.spread; })}
    ]
  });

  var codes = data.aspects.map(function (a) { return a.code; });
  var cells = [];
  var extreme = 1;
  data.judges.forEach(function (judge, row) {
    codes.forEach(function (code, column) {
      var value = judge.by_aspect[code];
      if (value === undefined) return;
      extreme = Math.max(extreme, Math.abs(value));
      cells.push([column, row, value]);
    });
  });
  echarts.init(document.getElementById("chart-aspects")).setOption({
    tooltip: {formatter: function (p) { return names[p.value[1]] + " · " + codes[p.value[0]] + ": " + p.value[2] + "%"; }},
    grid: {left: 110, right: 20, top: 20, bottom: 70},
    xAxis: {type: "category", data: codes},
    yAxis: {type: "category", data: names},
    visualMap: {min: -extreme, max: extreme, calculable: true, orient: "horizontal", left: "center", bottom: 0,
                inRange: {color: ["#1d4f91", "#f6f7f9", "#b3261e"]}},
    series: [{type: "heatmap", data: cells, label: {show: true, formatter: function (p) { return p.value[2]; }}}]
  });
})();
