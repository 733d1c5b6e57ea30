// A small bar chart of one count per minute (the overview's last hour), drawn
// as SVG: one bar a minute, the busiest minute's count as its scale. Its
// figures are also in words (the label) and in a table for screen readers.

export interface MinuteCount {
  minute: string;
  count: number;
}

const WIDTH = 600;
const HEIGHT = 100;

export function MinuteChart({ id, title, unit, counts, tone }: { id: string; title: string; unit: string; counts: MinuteCount[]; tone: 'ok' | 'bad' }) {
  const total = counts.reduce((sum, entry) => sum + entry.count, 0);
  const peak = Math.max(0, ...counts.map((entry) => entry.count));
  const slot = WIDTH / Math.max(1, counts.length);
  const summary = `${total} ${unit} in the last ${counts.length} minutes${peak > 0 ? `, at most ${peak} in a minute` : ''}.`;
  const busy = counts.filter((entry) => entry.count > 0);
  return (
    <figure class="chart" aria-labelledby={`${id}-title`}>
      <figcaption id={`${id}-title`}>
        <span class="chart-title">{title}</span> <span class="chart-total" data-total={total}>{summary}</span>
      </figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT + 1}`} preserveAspectRatio="none" role="img" aria-label={`${title}: ${summary}`} class={`bars bars-${tone}`}>
        <line x1="0" y1={HEIGHT + 0.5} x2={WIDTH} y2={HEIGHT + 0.5} class="baseline" />
        {counts.map((entry, index) => {
          if (entry.count === 0) return null;
          // A minute with any count is at least 2 units tall, so that one refresh among hundreds still shows.
          const height = Math.max(2, (entry.count / peak) * HEIGHT);
          return <rect key={entry.minute} x={index * slot + slot * 0.1} y={HEIGHT - height} width={slot * 0.8} height={height} />;
        })}
      </svg>
      <div class="chart-axis" aria-hidden="true">
        <span>{counts.length} min ago</span>
        <span>peak {peak}/min</span>
        <span>now</span>
      </div>
      {busy.length > 0 && (
        <details>
          <summary>Minutes with {unit}</summary>
          <table>
            <caption class="visually-hidden">{title}, by minute</caption>
            <thead>
              <tr>
                <th scope="col">Minute</th>
                <th scope="col">Count</th>
              </tr>
            </thead>
            <tbody>
              {busy.map((entry) => (
                <tr key={entry.minute}>
                  <td>
                    <time dateTime={entry.minute}>{new Date(entry.minute).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}</time>
                  </td>
                  <td>{entry.count}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </figure>
  );
}
