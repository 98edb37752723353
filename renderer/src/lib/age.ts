// How old something is, in words for a table cell. No React here: bench/peer/main.ts (the AG Grid peer) shows
// the same text without bundling React.

/** A short age for a table cell: "today", "3 days", "5 weeks", "8 months", "2 years". */
export function ageText(sinceMs: number, now: number): string {
  const days = Math.floor((now - sinceMs) / 86_400_000);
  if (days < 1) return 'today';
  if (days < 14) return days === 1 ? '1 day' : `${days} days`;
  if (days < 61) return `${Math.floor(days / 7)} weeks`;
  if (days < 730) return `${Math.floor(days / 30.44)} months`;
  return `${Math.floor(days / 365.25)} years`;
}
