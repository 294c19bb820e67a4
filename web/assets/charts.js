// Charts with Chart.js, served by the hub itself from /vendor/ (copied from
// npm by `make web`; nothing is loaded from outside). Loaded only by the
// views that draw charts. Every chart sits beside a table of the same
// figures, so a missing library or a screen reader loses nothing.

let loading = null;

export function loadChart() {
  if (window.Chart) return Promise.resolve(window.Chart);
  if (!loading) {
    loading = new Promise((resolve) => {
      const s = document.createElement('script');
      s.src = '/vendor/chart.umd.min.js';
      s.onload = () => resolve(window.Chart || null);
      s.onerror = () => resolve(null);
      document.head.append(s);
    });
  }
  return loading;
}

const BLUE = '#0b3d91';
const GREEN = '#1e6b34';

/**
 * Draws a bar chart in canvas. labels: x values; series: [{label, data, axis}]
 * (axis 'y2' for a second scale). horizontal: bars left to right.
 */
export async function barChart(canvas, { labels, series, horizontal = false }) {
  const Chart = await loadChart();
  if (!Chart || !canvas.isConnected) return null;
  const colors = [BLUE, GREEN, '#8a5a00'];
  const scales = horizontal
    ? { x: { beginAtZero: true, ticks: { precision: 0 } }, y: { ticks: { autoSkip: false } } }
    : { y: { beginAtZero: true, ticks: { precision: 0 }, position: 'left' } };
  if (!horizontal && series.some((s) => s.axis === 'y2')) {
    scales.y2 = { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false } };
  }
  return new Chart(canvas, {
    type: 'bar',
    data: {
      labels,
      datasets: series.map((s, i) => ({
        label: s.label,
        data: s.data,
        backgroundColor: colors[i % colors.length],
        yAxisID: horizontal ? undefined : s.axis || 'y',
        type: s.type || 'bar',
        borderColor: colors[i % colors.length],
      })),
    },
    options: {
      indexAxis: horizontal ? 'y' : 'x',
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { display: series.length > 1, position: 'bottom' } },
      scales,
      locale: 'vi-VN',
    },
  });
}
