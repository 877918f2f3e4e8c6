// Chart.js 4 (npm package chart.js, MIT licence), served as the static file /vendor/chart.umd.js
// (scripts/npm.sh copies it there from node_modules): loaded once, when a page first draws a chart.
// The Content-Security-Policy allows it (same origin); Chart.js styles its canvas through the
// CSSOM only, which the policy does not block.

let loading = null;

/* Resolves to window.Chart; rejects if the file is not there (web/vendor/ is made by
   scripts/npm.sh, run by `make deps`). */
export function loadChart() {
  if (window.Chart) return Promise.resolve(window.Chart);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = '/vendor/chart.umd.js';
      s.async = true;
      s.onload = () => (window.Chart ? resolve(window.Chart) : reject(new Error('Chart.js did not define Chart')));
      s.onerror = () => {
        loading = null;
        s.remove();
        reject(new Error('/vendor/chart.umd.js did not load'));
      };
      document.head.appendChild(s);
    });
  }
  return loading;
}

/* A stacked bar chart on `canvas`: labels along x, series [{label, color, values}] stacked.
   No animation: what is drawn is at once what the data says (and what a screenshot shows). */
export function stackedBars(Chart, canvas, { labels, series, yTitle, ariaLabel }) {
  const old = Chart.getChart(canvas);
  if (old) old.destroy();
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', ariaLabel);
  return new Chart(canvas, {
    type: 'bar',
    data: {
      labels,
      datasets: series.map((s) => ({ label: s.label, data: s.values, backgroundColor: s.color, borderColor: '#ffffff', borderWidth: 1 })),
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'index', intersect: false },
      scales: {
        x: { stacked: true, grid: { display: false } },
        y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: !!yTitle, text: yTitle } },
      },
      plugins: {
        legend: { position: 'bottom', labels: { boxWidth: 14, font: { size: 13 } } },
        tooltip: { callbacks: { footer: (items) => {
          const n = items.reduce((a, i) => a + (i.parsed.y || 0), 0);
          return series.totalLabel ? series.totalLabel(n) : String(n);
        } } },
      },
    },
  });
}
