// Desktop notifications of held mass deletions in the browser UI (`concord serve`): the web
// Notification API, once per hold, only when the user allowed it. Permission is asked only
// from a click ("Notify me"), never on load. The desktop app shows its own notifications
// from the main process (main/app/hold-notify.ts), so its window shows none.
import { useEffect, useState } from 'react';
import type { HoldView } from '../../../main/api/contract';
import { client } from '../../api';

/** The keys of the holds already notified (or already seen when notifications were turned
 *  on): kept across reloads and reconnects, so a hold is notified once. */
const NOTIFIED = 'concord.notifiedHolds';
/** 'off' when the user turned the notifications off here (the browser may still allow them). */
const CHOICE = 'concord.notifyHolds';

export type NotifyState = 'unsupported' | 'app' | 'default' | 'denied' | 'on' | 'off';

function supported(): boolean {
  return typeof window !== 'undefined' && 'Notification' in window;
}

export function notifyState(): NotifyState {
  if (client.transport === 'electron') return 'app';
  if (!supported()) return 'unsupported';
  const p = Notification.permission;
  if (p === 'denied') return 'denied';
  if (p === 'default') return 'default';
  return localStorage.getItem(CHOICE) === 'off' ? 'off' : 'on';
}

function notified(): Set<string> {
  try {
    const v = JSON.parse(localStorage.getItem(NOTIFIED) ?? '[]') as unknown;
    return new Set(Array.isArray(v) ? v.filter((k): k is string => typeof k === 'string') : []);
  } catch {
    return new Set();
  }
}

/** Remembers `keys` as notified; keys of holds that have ended are forgotten (a hold that
 *  ends never comes back under the same key). */
function remember(keys: Set<string>, current: readonly HoldView[]): void {
  const live = new Set(current.map((h) => h.key));
  localStorage.setItem(NOTIFIED, JSON.stringify([...keys].filter((k) => live.has(k))));
}

/** Shows one notification per hold not notified before; clicking it brings this tab to the
 *  front with the focus on the hold's banner. */
export function notifyNewHolds(holds: readonly HoldView[]): void {
  if (notifyState() !== 'on') return;
  const seen = notified();
  let shown = false;
  for (const h of holds) {
    if (h.approved || seen.has(h.key)) continue;
    const n = new Notification(h.headline, { body: `${h.detail} ${h.action}`.trim(), tag: `concord-hold-${h.key}` });
    n.onclick = () => {
      window.focus();
      document.querySelector<HTMLElement>(`[data-testid=hold-banner][data-spid="${CSS.escape(h.spid)}"]`)?.focus();
      n.close();
    };
    seen.add(h.key);
    shown = true;
  }
  if (shown || seen.size > 0) remember(seen, holds);
}

/** Asks the browser for permission (call only from a click). The holds on screen now count
 *  as notified: the user is looking at them. */
export async function allowNotifications(current: readonly HoldView[]): Promise<NotifyState> {
  if (!supported()) return 'unsupported';
  localStorage.removeItem(CHOICE);
  const p = await Notification.requestPermission();
  if (p === 'granted') remember(new Set([...notified(), ...current.map((h) => h.key)]), current);
  return notifyState();
}

/** Turns them off (or on again) here, without the browser's permission changing. */
export function setNotifyChoice(on: boolean, current: readonly HoldView[]): NotifyState {
  if (on) {
    localStorage.removeItem(CHOICE);
    remember(new Set([...notified(), ...current.map((h) => h.key)]), current);
  } else localStorage.setItem(CHOICE, 'off');
  return notifyState();
}

/** The state, updated when another control on the page changes it. */
export function useNotifyState(): [NotifyState, (s: NotifyState) => void] {
  const [state, setState] = useState<NotifyState>(notifyState);
  useEffect(() => {
    const onChange = () => setState(notifyState());
    window.addEventListener('concord:notify', onChange);
    return () => window.removeEventListener('concord:notify', onChange);
  }, []);
  return [
    state,
    (s) => {
      setState(s);
      window.dispatchEvent(new Event('concord:notify'));
    },
  ];
}
