/**
 * `npm run dashboard:snapshot`: a PNG of the "Shop overview" dashboard without Grafana.
 *
 * Grafana is not installable on the build machines (not in Debian, no Docker), so this renders
 * the committed dashboard (observability/grafana/dashboards/shop.json) itself: every panel's own
 * PromQL is run as a range query against a live Prometheus (PROMETHEUS_URL, default the local
 * one, http://127.0.0.1:9090) over the last SNAPSHOT_MINUTES (5), drawn with uPlot in the
 * dashboard's grid layout, and screenshotted with headless Chromium through playwright-core
 * (Debian's /usr/bin/chromium, CHROMIUM_PATH; playwright-core never downloads a browser).
 * Writes SNAPSHOT_OUT (docs/images/dashboard.png). Run it while, or right after, a benchmark
 * drives the stack (`npm run bench:tracing` lists its services for the local Prometheus).
 *
 * Only what the dashboard uses is reproduced: timeseries panels, legendFormat, units, gridPos.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(__dirname, '..');
const PROMETHEUS = process.env.PROMETHEUS_URL ?? 'http://127.0.0.1:9090';
const MINUTES = Number(process.env.SNAPSHOT_MINUTES ?? 5);
const OUT = path.resolve(ROOT, process.env.SNAPSHOT_OUT ?? 'docs/images/dashboard.png');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DASHBOARD = path.join(ROOT, 'observability/grafana/dashboards/shop.json');
/** The scrape interval of observability/prometheus/prometheus.yml. */
const SCRAPE_SECONDS = 5;

interface Panel {
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  fieldConfig?: { defaults?: { unit?: string } };
  targets?: { expr: string; legendFormat?: string }[];
}
interface Series {
  name: string;
  values: (number | null)[];
}
interface RenderedPanel {
  title: string;
  gridPos: Panel['gridPos'];
  unit: string;
  series: Series[];
}

/** Grafana's `{{label}}` legend syntax; without a format, the labels as Prometheus prints them. */
function legend(format: string | undefined, labels: Record<string, string>): string {
  if (format) return format.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, l: string) => labels[l] ?? '');
  const inner = Object.entries(labels)
    .filter(([k]) => k !== '__name__')
    .map(([k, v]) => `${k}="${v}"`)
    .join(', ');
  return `{${inner}}`;
}

async function queryRange(expr: string, start: number, end: number, step: number) {
  const url = new URL('/api/v1/query_range', PROMETHEUS);
  url.search = new URLSearchParams({
    query: expr,
    start: String(start),
    end: String(end),
    step: String(step),
  }).toString();
  const res = await fetch(url);
  const body = (await res.json()) as {
    status: string;
    error?: string;
    data?: { result: { metric: Record<string, string>; values: [number, string][] }[] };
  };
  if (body.status !== 'success') throw new Error(`Prometheus refused ${expr}: ${body.error}`);
  return body.data!.result;
}

async function main(): Promise<void> {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
    title: string;
    panels: Panel[];
  };
  const end = Math.floor(Date.now() / 1000);
  const start = end - MINUTES * 60;
  const step = Math.max(SCRAPE_SECONDS, Math.round((end - start) / 240));
  // Grafana's $__rate_interval: at least four scrapes, and at least a step plus a scrape.
  const rateInterval = `${Math.max(4 * SCRAPE_SECONDS, step + SCRAPE_SECONDS)}s`;
  const times: number[] = [];
  for (let t = start; t <= end; t += step) times.push(t);

  const panels: RenderedPanel[] = [];
  for (const panel of dashboard.panels.filter((p) => p.type === 'timeseries')) {
    const series: Series[] = [];
    for (const target of panel.targets ?? []) {
      const expr = target.expr.replaceAll('$__rate_interval', rateInterval);
      for (const r of await queryRange(expr, start, end, step)) {
        const byTime = new Map(r.values.map(([t, v]) => [Math.round(t), Number(v)]));
        series.push({
          name: legend(target.legendFormat, r.metric),
          values: times.map((t) => {
            const v = byTime.get(t);
            return v === undefined || !Number.isFinite(v) ? null : v;
          }),
        });
      }
    }
    panels.push({
      title: panel.title,
      gridPos: panel.gridPos,
      unit: panel.fieldConfig?.defaults?.unit ?? 'short',
      series,
    });
  }
  const withData = panels.filter((p) => p.series.some((s) => s.values.some((v) => v !== null)));
  process.stdout.write(
    `${withData.length}/${panels.length} panels have data from ${PROMETHEUS} (last ${MINUTES} min)\n`,
  );

  const html = page(dashboard.title, new Date(end * 1000), times, panels);
  const profile = mkdtempSync(path.join(tmpdir(), 'dashboard-snapshot-'));
  // A fresh profile each time (playwright's persistent context is its --user-data-dir).
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    viewport: { width: 1600, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const tab = browser.pages()[0] ?? (await browser.newPage());
    await tab.setContent(html);
    await tab.waitForFunction('window.rendered === true');
    await tab.screenshot({ path: OUT, fullPage: true });
  } finally {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
  }
  process.stdout.write(`wrote ${path.relative(ROOT, OUT)}\n`);
}

/** One self-contained page: uPlot inlined, the panels placed on Grafana's 24-column grid. */
function page(title: string, at: Date, times: number[], panels: RenderedPanel[]): string {
  const uplotJs = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
  const uplotCss = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  const data = JSON.stringify({ times, panels }).replaceAll('<', '\\u003c');
  return `<!doctype html><html><head><meta charset="utf-8"><style>${uplotCss}
body { margin: 0; background: #111217; color: #ccccdc; font: 13px sans-serif; }
header { padding: 10px 16px; font-size: 16px; }
header small { color: #8e8e9e; margin-left: 12px; font-size: 12px; }
#grid { position: relative; margin: 0 8px; }
.panel { position: absolute; box-sizing: border-box; background: #181b1f;
  border: 1px solid #2c3235; border-radius: 2px; padding: 6px 8px; overflow: hidden; }
.panel h2 { margin: 0 0 4px; font-size: 13px; font-weight: 500; }
.empty { color: #8e8e9e; padding: 40px; text-align: center; }
.u-legend { font-size: 11px; text-align: left; } .u-legend th { font-weight: normal; }
</style></head><body><header>${title}<small>${at.toISOString().replace('T', ' ').slice(0, 19)} UTC,
panels rendered from their own PromQL (not Grafana)</small></header><div id="grid"></div>
<script>${uplotJs}</script><script>
const { times, panels } = ${data};
const palette = ['#73bf69', '#f2cc0c', '#8ab8ff', '#ff780a', '#f2495c', '#5794f2', '#b877d9',
  '#fade2a', '#37872d', '#c4162a', '#1f60c4', '#8f3bb8'];
const units = {
  s: (v) => v >= 1 ? v.toFixed(2) + ' s' : (v * 1000).toFixed(v < 0.01 ? 1 : 0) + ' ms',
  reqps: (v) => v.toFixed(v < 10 ? 2 : 0) + ' req/s',
  ops: (v) => v.toFixed(v < 10 ? 2 : 0) + ' ops/s',
  percentunit: (v) => (v * 100).toFixed(0) + '%',
  short: (v) => Math.abs(v) >= 1000 ? (v / 1000).toFixed(1) + 'k' : String(+v.toFixed(2)),
};
const col = (1600 - 16) / 24, row = 30;
const grid = document.getElementById('grid');
let bottom = 0;
for (const p of panels) {
  const { x, y, w, h } = p.gridPos;
  const el = document.createElement('div');
  el.className = 'panel';
  Object.assign(el.style, { left: x * col + 'px', top: y * row + 'px',
    width: w * col - 6 + 'px', height: h * row - 6 + 'px' });
  el.innerHTML = '<h2></h2>';
  el.firstChild.textContent = p.title;
  grid.appendChild(el);
  bottom = Math.max(bottom, (y + h) * row);
  const fmt = units[p.unit] ?? units.short;
  const series = p.series.filter((s) => s.values.some((v) => v !== null));
  if (series.length === 0) {
    el.insertAdjacentHTML('beforeend', '<div class="empty">No data</div>');
    continue;
  }
  const legendRows = Math.min(series.length, 4);
  new uPlot({
    width: w * col - 24, height: h * row - 40 - legendRows * 17,
    legend: { live: false },
    scales: { x: { time: true } },
    axes: [
      { stroke: '#8e8e9e', grid: { stroke: '#2c3235' }, ticks: { stroke: '#2c3235' },
        values: (u, vals, axis, space, incr) => vals.map((v) =>
          new Date(v * 1000).toISOString().slice(11, incr < 60 ? 19 : 16)) },
      { stroke: '#8e8e9e', grid: { stroke: '#2c3235' }, ticks: { stroke: '#2c3235' },
        size: 84, values: (u, vals) => vals.map(fmt) },
    ],
    series: [{}, ...series.map((s, i) => ({ label: s.name, stroke: palette[i % palette.length],
      width: 1.5, spanGaps: false, value: (u, v) => v == null ? '-' : fmt(v) }))],
  }, [times, ...series.map((s) => s.values)], el);
}
grid.style.height = bottom + 'px';
window.rendered = true;
</script></body></html>`;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
