// What the user changed in Concord, in words, for the Activity screen: "Added Anna Berg",
// "Changed Ben Carter: phone number, e-mail". The editor's edits reach the truth through
// runs of their own, which say only that edits were saved; these notes say which. They are
// kept in the device log of the editor (spid 'hub'), so they outlive a restart.
import { displayName, normalizeContact, type Contact } from '../core/contact';
import type { Hub } from '../hub/hub';
import { EDITOR_SPID } from '../core/types';
import type { EditNote } from './contract';

const FIELD_WORDS: [keyof Contact, string][] = [
  ['tel', 'phone number'],
  ['email', 'e-mail'],
  ['adr', 'address'],
  ['org', 'organisation'],
  ['title', 'job title'],
  ['bday', 'birthday'],
  ['url', 'web address'],
  ['note', 'note'],
];

export function editName(c: Contact): string {
  return displayName(c) || 'a contact without a name';
}

/** "Changed Ben Carter: phone number, e-mail", "Renamed Ann to Anna Berg", or null when the
 *  edit changes nothing. */
export function describeUpdate(before: Contact, after: Contact, region: string): string | null {
  const a = normalizeContact(before, region);
  const b = normalizeContact(after, region);
  const same = (f: keyof Contact) => JSON.stringify(a[f]) === JSON.stringify(b[f]);
  const fields = FIELD_WORDS.filter(([f]) => !same(f)).map(([, w]) => w);
  const renamed = editName(a) !== editName(b);
  if (!renamed && fields.length === 0) return null;
  const head = renamed ? `Renamed ${editName(a)} to ${editName(b)}` : `Changed ${editName(b)}`;
  return fields.length === 0 ? head : `${head}${renamed ? '; changed' : ':'} ${fields.join(', ')}`;
}

/** "Imported 3 contacts: added Imogen Newperson; updated Hannah Schmidt and …" */
export function describeImport(added: string[], updated: string[]): string | null {
  if (added.length + updated.length === 0) return null;
  const names = (list: string[]) => (list.length <= 5 ? list.join(', ') : `${list.slice(0, 5).join(', ')} and ${list.length - 5} more`);
  const parts = [added.length ? `added ${names(added)}` : '', updated.length ? `updated ${names(updated)}` : ''].filter(Boolean);
  const n = added.length + updated.length;
  return `Imported ${n} ${n === 1 ? 'contact' : 'contacts'} from a vCard file: ${parts.join('; ')}`;
}

export function noteEdit(hub: Hub, guid: string | null, text: string, at = Date.now()): void {
  hub.dss.logDevice(null, EDITOR_SPID, at, 'info', guid, text);
}

export function editNotes(hub: Hub, limit: number): EditNote[] {
  return hub.dss
    .deviceLog(EDITOR_SPID, limit)
    .filter((l) => l.level === 'info')
    .map((l) => ({ id: l.id, at: l.at, guid: l.luid, text: l.message }));
}
