// Desktop notifications of held mass deletions (sync-method.md, "Held mass deletions") in
// the Electron app: which holds to notify, once each, with the banner's words (holdWords in
// main/api/safety.ts, carried by each HoldView). The keys notified are kept in a small file
// of the app's own folder, so a restart does not notify the same hold again.
import fs from 'node:fs';
import path from 'node:path';
import type { HoldView } from '../api/contract';

export interface HoldNotice {
  key: string;
  spid: string;
  title: string;
  body: string;
}

/** The holds to notify now (not approved, not notified before), and the keys to remember:
 *  those of current holds notified now or before (a hold that ended is forgotten; it never
 *  comes back under the same key). */
export function holdNotices(holds: readonly HoldView[], notified: ReadonlySet<string>): { notices: HoldNotice[]; remember: Set<string> } {
  const notices: HoldNotice[] = [];
  const remember = new Set<string>();
  for (const h of holds) {
    if (notified.has(h.key)) remember.add(h.key);
    else if (!h.approved) {
      notices.push({ key: h.key, spid: h.spid, title: h.headline, body: `${h.detail} ${h.action}`.trim() });
      remember.add(h.key);
    }
  }
  return { notices, remember };
}

export function notifiedFile(userData: string): string {
  return path.join(userData, 'notified-holds.json');
}

export function loadNotified(file: string): Set<string> {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    return new Set(Array.isArray(v) ? v.filter((k): k is string => typeof k === 'string') : []);
  } catch {
    return new Set();
  }
}

export function saveNotified(file: string, keys: ReadonlySet<string>): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(`${file}.tmp`, JSON.stringify([...keys]));
  fs.renameSync(`${file}.tmp`, file);
}
