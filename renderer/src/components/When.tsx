// A moment in a table cell or a sentence: "3 minutes ago", the full date and time on hover, "—" when unknown.
import { absoluteTime, relativeTime } from '../lib/time';

export function When({ iso, now }: { iso: string | null; now: number }) {
  if (!iso) return <span className="muted">—</span>;
  return (
    <time dateTime={iso} title={absoluteTime(iso)}>
      {relativeTime(iso, now)}
    </time>
  );
}
