// Rewriting a card a client wrote when the truth's data differs: the client's own lines are
// kept byte for byte wherever they still say what the truth says (Apple's `item1.TEL` with
// its `item1.X-ABLabel`, a folded PHOTO, parameters in the client's spelling); only lines
// whose data changed are replaced by the codec's, and lines the truth no longer has go.
import { equalContacts, normalizeContact, type Contact } from '../../core/contact';
import { parseVCard } from '../../core/vcard';

interface Line {
  /** As it stands in the card, folding and line ending included. */
  raw: string;
  /** Unfolded. */
  text: string;
  name: string;
}

function linesOf(body: string): Line[] {
  const out: Line[] = [];
  for (const physical of body.split(/(?<=\n)/)) {
    if (/^[ \t]/.test(physical) && out.length) {
      const last = out[out.length - 1]!;
      last.raw += physical;
      last.text += physical.replace(/\r?\n$/, '').slice(1);
    } else if (physical.trim() !== '') {
      const text = physical.replace(/\r?\n$/, '');
      out.push({ raw: physical.endsWith('\n') ? physical : `${physical}\r\n`, text, name: (/^(?:[A-Za-z0-9-]+\.)?([A-Za-z0-9-]+)/.exec(text)?.[1] ?? '').toUpperCase() });
    }
  }
  return out;
}

const FRAME = new Set(['BEGIN', 'END', 'VERSION']);
const KEEP = new Set(['UID', 'PRODID', 'REV']);

/**
 * REV of a card the hub rewrites: the time the truth changed, in UTC. vCard 4.0's REV is a
 * timestamp in the basic format (RFC 6350 §6.7.4: `20261203T124500Z`); vCard 3.0 allows
 * either ISO 8601 form (RFC 2426 §3.6.4), and the hub writes the one the client's own REV
 * used (Apple writes `2026-12-03T12:45:00Z`), the basic one when it had none.
 */
export function revValue(ms: number, version: string, clientRev?: string): string {
  const iso = new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const extended = version !== '4.0' && clientRev !== undefined && /^\d{4}-\d{2}-\d{2}/.test(clientRev.trim());
  return extended ? iso : iso.replace(/[-:]/g, '');
}

/** The merged card, or null when no line of the old card can be kept. With `rev`, the
 *  card's REV says `rev` (the old REV line replaced, or one added before END). */
export function mergeCard(oldBody: string, newBody: string, version: string, region: string, truth: Contact, rev?: string): string | null {
  const meaning = new Map<string, Contact | null>();
  const one = (text: string): Contact | null => {
    if (!meaning.has(text)) {
      try {
        meaning.set(text, normalizeContact(parseVCard(`BEGIN:VCARD\r\nVERSION:${version}\r\n${text}\r\nEND:VCARD\r\n`).contact, region));
      } catch {
        meaning.set(text, null);
      }
    }
    return meaning.get(text)!;
  };
  const old = linesOf(oldBody);
  const fresh = linesOf(newBody).filter((l) => !FRAME.has(l.name) && !KEEP.has(l.name));
  const used = new Set<number>();
  const added: string[] = [];
  for (const n of fresh) {
    const m = one(n.text);
    const i = old.findIndex((o, k) => !used.has(k) && o.name === n.name && (o.text === n.text || (m !== null && one(o.text) !== null && equalContacts(one(o.text)!, m))));
    if (i >= 0) used.add(i);
    else added.push(n.raw.endsWith('\n') ? n.raw : `${n.raw}\r\n`);
  }
  if (used.size === 0) return null;
  const out: string[] = [];
  let revDone = rev === undefined;
  for (let k = 0; k < old.length; k++) {
    const o = old[k]!;
    if (o.name === 'END') {
      out.push(...added);
      if (!revDone) out.push(`REV:${rev}\r\n`);
      revDone = true;
    }
    if (o.name === 'REV' && rev !== undefined) {
      // One REV, the change time, where the client had its own.
      if (!revDone) out.push(`${/^[A-Za-z0-9-]+\./.exec(o.text)?.[0] ?? ''}REV:${rev}${/\r?\n$/.exec(o.raw)?.[0] ?? '\r\n'}`);
      revDone = true;
      continue;
    }
    if (FRAME.has(o.name) || KEEP.has(o.name) || used.has(k)) out.push(o.raw);
  }
  const merged = out.join('');
  try {
    // The merge must say exactly what the truth says; otherwise the codec's card is used.
    return equalContacts(normalizeContact(parseVCard(merged).contact, region), truth) ? merged : null;
  } catch {
    return null;
  }
}
