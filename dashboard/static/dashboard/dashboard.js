// Dashboard charts, drawn from the JSON the page embeds (no inline script).
(function () {
  "use strict";
  const palette = ["#0d6efd", "#198754", "#fd7e14", "#dc3545", "#6f42c1", "#20c997", "#6c757d", "#ffc107", "#0dcaf0", "#d63384"];

  function draw() {
    if (typeof Chart === "undefined") return;
    const data = JSON.parse(document.getElementById("dashboard-data").textContent);
    const options = { animation: false, plugins: { legend: { position: "bottom" } } };
    function doughnut(id, rows) {
      const canvas = document.getElementById(id);
      if (!canvas) return;
      new Chart(canvas, {
        type: "doughnut",
        data: { labels: rows.map((r) => r[0]), datasets: [{ data: rows.map((r) => r[1]), backgroundColor: palette }] },
        options: options,
      });
    }
    doughnut("chart-status", data.status);
    doughnut("chart-style", data.style);
    const step = document.getElementById("chart-step");
    new Chart(step, {
      type: "bar",
      // Step numbers on the axis (the names are long); the full name in the tooltip.
      data: { labels: data.step.map((r, i) => String(i + 1)), datasets: [{ data: data.step.map((r) => r[1]), backgroundColor: palette[0] }] },
      options: {
        animation: false,
        indexAxis: "y",
        plugins: { legend: { display: false }, tooltip: { callbacks: { title: (items) => data.step[items[0].dataIndex][0] } } },
      },
    });
    const departments = document.getElementById("chart-departments");
    new Chart(departments, {
      type: "bar",
      data: {
        labels: data.departments.map((r) => r[0]),
        datasets: [
          { label: departments.dataset.closed, data: data.departments.map((r) => r[1]), backgroundColor: palette[0] },
          { label: departments.dataset.selfHosted, data: data.departments.map((r) => r[2]), backgroundColor: palette[1] },
        ],
      },
      options: { animation: false, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
    });
    const trend = document.getElementById("chart-trend");
    const names = trend.dataset.labels.split("|");
    new Chart(trend, {
      type: "line",
      data: {
        labels: data.trend.map((r) => r[0]),
        datasets: names.map((name, i) => ({ label: name, data: data.trend.map((r) => r[i + 1]), borderColor: palette[i], backgroundColor: palette[i] })),
      },
      options: { animation: false, scales: { x: { offset: true }, y: { beginAtZero: true } } },
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
