// Charts of the cost and value pages, drawn from the JSON the page embeds (no inline script).
(function () {
  "use strict";
  const palette = ["#0d6efd", "#dc3545", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#6c757d"];

  function data(id) {
    const element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  function costChart() {
    const canvas = document.getElementById("cost-chart");
    const curve = data("cost-chart-data");
    if (!canvas || !curve) return;
    new Chart(canvas, {
      type: "line",
      data: {
        labels: curve.volumes.map((v) => v.toLocaleString()),
        datasets: curve.series.map((series, i) => ({
          label: series.label,
          data: series.values,
          borderColor: palette[i % palette.length],
          backgroundColor: palette[i % palette.length],
          stepped: false,
          tension: 0,
        })),
      },
      options: {
        animation: false,
        scales: {
          x: { title: { display: true, text: canvas.dataset.xLabel } },
          y: { title: { display: true, text: canvas.dataset.yLabel }, beginAtZero: true },
        },
      },
    });
  }

  function kpiCharts() {
    const kpis = data("kpi-chart-data") || [];
    document.querySelectorAll("canvas.kpi-chart").forEach((canvas) => {
      const kpi = kpis[Number(canvas.dataset.index)];
      const flat = (value) => kpi.dates.map(() => value);
      const datasets = [{ label: kpi.name, data: kpi.values, borderColor: palette[0], backgroundColor: palette[0] }];
      if (kpi.baseline !== null) {
        datasets.push({ label: canvas.dataset.baselineLabel, data: flat(kpi.baseline), borderColor: palette[6], borderDash: [4, 4], pointRadius: 0 });
      }
      if (kpi.target !== null) {
        datasets.push({ label: canvas.dataset.targetLabel, data: flat(kpi.target), borderColor: palette[2], borderDash: [6, 3], pointRadius: 0 });
      }
      new Chart(canvas, { type: "line", data: { labels: kpi.dates, datasets: datasets }, options: { animation: false } });
    });
  }

  function draw() {
    if (typeof Chart === "undefined") return;
    costChart();
    kpiCharts();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
