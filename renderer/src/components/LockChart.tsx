// Failed sign-ins per minute over the last 24 hours (SPEC F3 / issue 4), drawn as inline SVG (no chart
// library): all failures as a filled area, and one of the busiest extensions or addresses as a line on top
// (chosen in a list). For people who cannot see the chart: a text summary next to it (and as the SVG's
// description) and the same numbers per hour in a table.
import { useId, useMemo, useState } from 'react';
import type { FailureHistogram } from '../../../shared/lockout';
import { formatCount } from '../lib/time';

interface Props {
  histogram: FailureHistogram;
}

const W = 960;
const H = 230;
const PAD_L = 44;
const PAD_R = 12;
const PAD_T = 12;
const PAD_B = 36;

interface Series {
  key: string;
  label: string;
  counts: number[];
}

const timeFmt = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit' });

function sum(a: readonly number[]): number {
  let s = 0;
  for (const v of a) s += v;
  return s;
}

/** Step path of counts over the plot area (an area closed to the baseline when `area`). */
function stepPath(counts: readonly number[], max: number, area: boolean): string {
  const n = counts.length;
  if (n === 0 || max <= 0) return '';
  const pw = W - PAD_L - PAD_R;
  const ph = H - PAD_T - PAD_B;
  const base = PAD_T + ph;
  const x = (i: number) => (PAD_L + (i * pw) / n).toFixed(2);
  const y = (v: number) => (base - (v / max) * ph).toFixed(2);
  const parts: string[] = [area ? `M${x(0)} ${base}` : `M${x(0)} ${y(counts[0] ?? 0)}`];
  let prev = area ? -1 : (counts[0] ?? 0);
  for (let i = 0; i < n; i++) {
    const v = counts[i] ?? 0;
    if (v !== prev) {
      parts.push(`L${x(i)} ${y(prev < 0 ? 0 : prev)}`, `L${x(i)} ${y(v)}`);
      prev = v;
    }
  }
  parts.push(`L${x(n)} ${y(prev < 0 ? 0 : prev)}`);
  if (area) parts.push(`L${x(n)} ${base}Z`);
  return parts.join('');
}

function niceMax(v: number): number {
  if (v <= 5) return Math.max(1, v);
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return v;
}

export function LockChart({ histogram }: Props) {
  const ids = useId();
  const series: Series[] = useMemo(
    () => [
      ...histogram.byExtension.map((s) => ({ key: `e:${s.extension}`, label: `Extension ${s.extension}`, counts: s.counts })),
      ...histogram.byAddress.map((s) => ({ key: `a:${s.address}`, label: `Address ${s.address}`, counts: s.counts })),
    ],
    [histogram],
  );
  const [chosen, setChosen] = useState<string>('');
  const shown = series.find((s) => s.key === chosen) ?? series[0] ?? null;

  const fromMs = Date.parse(histogram.from);
  const bucketMs = histogram.bucketSeconds * 1000;
  const total = histogram.total;
  const totalSum = sum(total);
  const peak = total.reduce((best, v, i) => (v > (total[best] ?? 0) ? i : best), 0);
  const peakValue = total[peak] ?? 0;
  const max = niceMax(Math.max(peakValue, ...(shown ? shown.counts : [0])));
  const hours = Math.round((total.length * histogram.bucketSeconds) / 3600);

  const topExt = histogram.byExtension[0];
  const topAddr = histogram.byAddress[0];
  const summary =
    totalSum === 0
      ? `No failed sign-ins in the last ${hours} hours.`
      : [
          `${formatCount(totalSum)} failed sign-in${totalSum === 1 ? '' : 's'} in the last ${hours} hours.`,
          `Busiest minute: ${timeFmt.format(fromMs + peak * bucketMs)} with ${peakValue}.`,
          topExt ? `Most targeted extension: ${topExt.extension} (${formatCount(sum(topExt.counts))}).` : '',
          topAddr ? `Most failing address: ${topAddr.address} (${formatCount(sum(topAddr.counts))}).` : '',
        ]
          .filter(Boolean)
          .join(' ');

  // Per-hour rows for the table alternative.
  const perHour = useMemo(() => {
    const per = Math.max(1, Math.round(3600 / histogram.bucketSeconds));
    const rows: Array<{ start: number; total: number; series: number }> = [];
    for (let i = 0; i < total.length; i += per) {
      rows.push({
        start: fromMs + i * bucketMs,
        total: sum(total.slice(i, i + per)),
        series: shown ? sum(shown.counts.slice(i, i + per)) : 0,
      });
    }
    return rows;
  }, [total, shown, fromMs, bucketMs, histogram.bucketSeconds]);

  const ph = H - PAD_T - PAD_B;
  const pw = W - PAD_L - PAD_R;
  const xTicks: Array<{ x: number; label: string }> = [];
  const perTick = Math.max(1, Math.round((3 * 3600) / histogram.bucketSeconds));
  for (let i = 0; i <= total.length; i += perTick) {
    xTicks.push({ x: PAD_L + (i * pw) / Math.max(1, total.length), label: timeFmt.format(fromMs + i * bucketMs) });
  }
  const yTicks = [0, max / 2, max].filter((v, i, a) => a.indexOf(v) === i && (Number.isInteger(v) || i === 0));

  return (
    <div className="lock-chart">
      <div className="chart-controls">
        <div className="chart-legend" aria-hidden="true">
          <span className="legend-item">
            <svg width="18" height="10" viewBox="0 0 18 10" focusable="false">
              <rect className="chart-total" x="0" y="0" width="18" height="10" />
            </svg>
            All failed sign-ins
          </span>
          {shown ? (
            <span className="legend-item">
              <svg width="18" height="10" viewBox="0 0 18 10" focusable="false">
                <path className="chart-series" d="M0 5H18" />
              </svg>
              {shown.label}
            </span>
          ) : null}
        </div>
        {series.length > 0 ? (
          <div className="field chart-pick">
            <label htmlFor={`${ids}-series`}>Line for</label>
            <select id={`${ids}-series`} value={shown?.key ?? ''} onChange={(e) => setChosen(e.target.value)}>
              {histogram.byExtension.length > 0 ? (
                <optgroup label="Busiest extensions">
                  {series
                    .filter((s) => s.key.startsWith('e:'))
                    .map((s) => (
                      <option key={s.key} value={s.key}>{`${s.label} (${formatCount(sum(s.counts))})`}</option>
                    ))}
                </optgroup>
              ) : null}
              {histogram.byAddress.length > 0 ? (
                <optgroup label="Busiest addresses">
                  {series
                    .filter((s) => s.key.startsWith('a:'))
                    .map((s) => (
                      <option key={s.key} value={s.key}>{`${s.label} (${formatCount(sum(s.counts))})`}</option>
                    ))}
                </optgroup>
              ) : null}
            </select>
          </div>
        ) : null}
      </div>

      <svg
        className="chart-svg"
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-labelledby={`${ids}-title ${ids}-desc`}
        focusable="false"
      >
        <title id={`${ids}-title`}>Failed sign-ins per minute, last {hours} hours</title>
        <desc id={`${ids}-desc`}>{summary}</desc>
        {yTicks.map((v) => {
          const y = PAD_T + ph - (v / max) * ph;
          return (
            <g key={`y${v}`}>
              <line className="chart-grid" x1={PAD_L} x2={W - PAD_R} y1={y} y2={y} />
              <text className="chart-label" x={PAD_L - 6} y={y + 4} textAnchor="end">
                {formatCount(v)}
              </text>
            </g>
          );
        })}
        {xTicks.map((t) => (
          <g key={`x${t.x}`}>
            <line className="chart-grid" x1={t.x} x2={t.x} y1={PAD_T + ph} y2={PAD_T + ph + 5} />
            <text className="chart-label" x={t.x} y={H - 12} textAnchor="middle">
              {t.label}
            </text>
          </g>
        ))}
        <path className="chart-total" d={stepPath(total, max, true)} />
        {shown ? <path className="chart-series" d={stepPath(shown.counts, max, false)} /> : null}
        <line className="chart-axis" x1={PAD_L} x2={W - PAD_R} y1={PAD_T + ph} y2={PAD_T + ph} />
      </svg>
      <p className="chart-summary">{summary}</p>

      <details className="chart-table">
        <summary>Show these numbers as a table (per hour)</summary>
        <table className="data-table compact">
          <caption className="sr-only">Failed sign-ins per hour, last {hours} hours</caption>
          <thead>
            <tr>
              <th scope="col">Hour starting</th>
              <th scope="col" className="num">
                All failed sign-ins
              </th>
              {shown ? (
                <th scope="col" className="num">
                  {shown.label}
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {perHour.map((r) => (
              <tr key={r.start}>
                <th scope="row">{timeFmt.format(r.start)}</th>
                <td className="num">{formatCount(r.total)}</td>
                {shown ? <td className="num">{formatCount(r.series)}</td> : null}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </div>
  );
}
