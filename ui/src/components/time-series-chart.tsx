/**
 * A time series drawn by uPlot, each line told apart by its dash pattern and point size as well as
 * its colour, named in the legend, and the same figures as a table for readers who cannot see it.
 * @see https://github.com/leeoniya/uPlot/tree/master/docs
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { TableScroll } from './table-scroll.js';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  format: (value: number | null) => string;
}

/** Colours with enough contrast on white, each with its own dash: readable in grey too. */
const STYLES = [
  { stroke: '#1f5fbf', dash: undefined, points: 5 },
  { stroke: '#b3261e', dash: [8, 4], points: 7 },
  { stroke: '#1e7a34', dash: [2, 3], points: 6 },
];

export function TimeSeriesChart({
  title,
  times,
  series,
  formatTime,
}: {
  title: string;
  times: number[];
  series: ChartSeries[];
  formatTime: (seconds: number) => string;
}) {
  const container = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const width = Math.max(260, element.clientWidth);
    const plot = new uPlot(
      {
        width,
        height: 220,
        series: [
          { value: (_plot, value) => (value === null ? '—' : formatTime(value)) },
          ...series.map((entry, index) => {
            const style = STYLES[index % STYLES.length]!;
            return {
              label: entry.label,
              stroke: style.stroke,
              width: 2,
              dash: style.dash,
              points: { show: true, size: style.points },
              value: (_plot: uPlot, value: number | null) => entry.format(value),
            };
          }),
        ],
        axes: [
          {},
          {
            values: (_plot, ticks) => ticks.map((tick) => series[0]?.format(tick) ?? String(tick)),
            // Room for the widest label: small dollar amounts keep six decimals.
            size: 90,
          },
        ],
        legend: { live: true },
      },
      [times, ...series.map((entry) => entry.values)],
      element,
    );
    const resize = new ResizeObserver(() =>
      plot.setSize({ width: Math.max(260, element.clientWidth), height: 220 }),
    );
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [times, series, formatTime]);

  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div
        ref={container}
        role="img"
        aria-label={`${title}: chart, the same figures are in the table below`}
      />
      <details>
        <summary>{title} as a table</summary>
        <TableScroll label={`${title} as a table`}>
          <table>
            <thead>
              <tr>
                <th scope="col">Time</th>
                {series.map((entry) => (
                  <th scope="col" class="number" key={entry.label}>
                    {entry.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {times.map((time, index) => (
                <tr key={time}>
                  <th scope="row">{formatTime(time)}</th>
                  {series.map((entry) => (
                    <td class="number" key={entry.label}>
                      {entry.format(entry.values[index] ?? null)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      </details>
    </figure>
  );
}
