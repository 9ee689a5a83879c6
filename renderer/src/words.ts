// Plain words for what the hub reports: pending counts, times, device kinds, run errors.
import type { DeviceStatus, RunCounts, RunSummary } from '../../main/api/contract';

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

const DAY = 24 * 3600 * 1000;

/** "today at 14:05", "yesterday", "Tuesday" (within a week), else a date. */
export function when(ts: number, now = Date.now()): string {
  const d = new Date(ts);
  const startOfToday = new Date(now);
  startOfToday.setHours(0, 0, 0, 0);
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  if (ts >= startOfToday.getTime()) return `today at ${time}`;
  if (ts >= startOfToday.getTime() - DAY) return `yesterday at ${time}`;
  if (ts >= startOfToday.getTime() - 6 * DAY) return d.toLocaleDateString(undefined, { weekday: 'long' });
  return d.toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
}

/** "3 adds, 1 delete waiting since Tuesday", or "" when nothing waits. */
export function pendingSentence(p: DeviceStatus['pending']): string {
  const parts: string[] = [];
  if (p.add) parts.push(plural(p.add, 'add'));
  if (p.update) parts.push(plural(p.update, 'update'));
  if (p.delete) parts.push(plural(p.delete, 'delete'));
  if (parts.length === 0) return '';
  const since = p.oldestSince ? ` since ${when(p.oldestSince).replace(/^today at .*/, 'today')}` : '';
  return `${parts.join(', ')} waiting${since}`;
}

export function kindLabel(d: Pick<DeviceStatus, 'kind' | 'link'>): string {
  switch (d.kind) {
    case 'editor':
      return 'Concord on this computer';
    case 'at-phonebook':
      return 'Phone (phonebook)';
    case 'syncml':
      return 'SyncML device';
    case 'carddav':
      return 'CardDAV account';
    case 'pbap':
      return 'Phone (read over Bluetooth)';
    case 'simulated':
      return 'Simulated device';
  }
}

export function linkLabel(link: DeviceStatus['link']): string {
  switch (link) {
    case 'usb':
      return 'USB cable';
    case 'bluetooth':
      return 'Bluetooth';
    case 'lan':
      return 'Home network';
    case 'simulated':
      return 'Simulated';
    case 'none':
      return 'Built in';
  }
}

/** What happened to one device in a run, for a person. */
export function deviceError(name: string, link: DeviceStatus['link'] | undefined, c: RunCounts): string {
  if (!c.error) return '';
  const waiting = c.pending > 0 ? `${plural(c.pending, 'change')} will be sent next time.` : 'Nothing is waiting.';
  if (/connection to .* was lost|link dropped|shutting down/i.test(c.error)) {
    if (/shutting down/i.test(c.error)) return `The sync with ${name} stopped because Concord was closing. Nothing was lost; ${waiting}`;
    const what =
      link === 'usb' ? `${name} was unplugged during the sync.` : link === 'bluetooth' ? `${name} went out of Bluetooth range during the sync.` : `${name} dropped off the network during the sync.`;
    return `${what} Nothing was lost; ${waiting}`;
  }
  return `${c.error} ${c.pending > 0 ? `Nothing was lost; ${waiting}` : ''}`.trim();
}

export function countsLine(c: RunCounts): string {
  const inn = c.in.add + c.in.update + c.in.delete;
  const out = c.out.add + c.out.update + c.out.delete;
  const parts = [`${plural(inn, 'change')} received`, `${plural(out, 'change')} sent`];
  if (c.skipped) parts.push(`${c.skipped} skipped`);
  return parts.join(', ');
}

export function outcomeLabel(o: RunSummary['outcome'] | null): string {
  switch (o) {
    case 'ok':
      return 'Succeeded';
    case 'partial':
      return 'Partly done';
    case 'failed':
      return 'Failed';
    case null:
      return 'Never synced';
  }
}
