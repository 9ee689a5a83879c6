// Preferences in the DSS: text values by key, for the settings the hub and the UI keep.
import type { Db } from './db';

/** This file's statements, prepared once per connection (Dss.st). */
export function prefStatements(db: Db) {
  return {
    pref: db.prepare('SELECT value FROM prefs WHERE key = ?').pluck(),
    prefPut: db.prepare('INSERT INTO prefs (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
  };
}
export type PrefStatements = ReturnType<typeof prefStatements>;

export function pref(st: PrefStatements, key: string): string | undefined {
  return st.pref.get(key) as string | undefined;
}

export function setPref(st: PrefStatements, key: string, value: string): void {
  st.prefPut.run(key, value);
}
