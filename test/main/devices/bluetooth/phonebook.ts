// A phone's phonebook as PBAP sends it: the owner's own card first, then vCard 3.0 cards
// with names in many scripts, several numbers, one with a photo, one vCard 2.1 card with
// CHARSET and QUOTED-PRINTABLE, X-IRMC-* bookkeeping lines.
export interface PhoneCard {
  fn: string;
  n: string[];
  tels: { type: string; value: string }[];
  email?: string;
  photo?: boolean;
  /** Written as vCard 2.1 with QUOTED-PRINTABLE names. */
  v21?: boolean;
}

const GIVEN = ['Anna', 'José', 'Zoë', 'Søren', 'François', 'Åsa', 'Mitsuko', 'Γιώργος', 'Ελένη', 'Иван', 'Ольга', '伟', '芳', 'さくら', '민준', 'Łucja', 'Đorđe'];
const FAMILY = ['Müller', 'García', 'Lefèvre', 'Uchida', 'Smith', 'Παπάς', 'Петров', '张', '山田', '김', 'Kowalska', 'Nováková'];

// A 1×1 JPEG, as phones send contact pictures (base64, folded).
const JPEG =
  '/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=';

export function makePhonebook(count: number): PhoneCard[] {
  const out: PhoneCard[] = [];
  for (let i = 0; i < count; i++) {
    const given = GIVEN[i % GIVEN.length]!;
    const family = FAMILY[Math.floor(i / GIVEN.length) % FAMILY.length]!;
    const n = [family, `${given} ${i}`];
    const tels = [{ type: 'CELL', value: `+44 7700 ${String(100000 + i).slice(-6)}` }];
    if (i % 3 === 0) tels.push({ type: 'WORK', value: `+44 20 7946 ${String(1000 + i).slice(-4)}` });
    if (i % 7 === 0) tels.push({ type: 'HOME', value: `020 8123 ${String(2000 + i).slice(-4)}` });
    out.push({ fn: `${given} ${i} ${family}`, n, tels, ...(i % 5 === 0 ? { email: `p${i}@example.org` } : {}) });
  }
  out[1] = { ...out[1]!, photo: true };
  out[2] = { fn: 'Björn Åström', n: ['Åström', 'Björn'], tels: [{ type: 'CELL', value: '+46 70 123 45 67' }], v21: true };
  return out;
}

function qp(s: string): string {
  return [...Buffer.from(s, 'utf8')].map((b) => (b >= 0x21 && b <= 0x7e && b !== 0x3d && b !== 0x3b ? String.fromCharCode(b) : `=${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

function fold(line: string): string {
  const parts: string[] = [];
  for (let i = 0; i < line.length; i += 74) parts.push((i ? ' ' : '') + line.slice(i, i + 74));
  return parts.join('\r\n');
}

export function cardText(c: PhoneCard, handle: number): string {
  if (c.v21) {
    return [
      'BEGIN:VCARD',
      'VERSION:2.1',
      `N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:${c.n.map(qp).join(';')};;;`,
      `FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:${qp(c.fn)}`,
      ...c.tels.map((t) => `TEL;${t.type}:${t.value}`),
      `X-IRMC-LUID:${String(handle).padStart(6, '0')}`,
      'END:VCARD',
    ].join('\r\n');
  }
  return [
    'BEGIN:VCARD',
    'VERSION:3.0',
    `FN:${c.fn}`,
    `N:${c.n.join(';')};;;`,
    ...c.tels.map((t) => `TEL;TYPE=${t.type}:${t.value}`),
    ...(c.email ? [`EMAIL;TYPE=INTERNET:${c.email}`] : []),
    ...(c.photo ? [fold(`PHOTO;ENCODING=b;TYPE=JPEG:${JPEG}`)] : []),
    'X-IRMC-CALL-DATETIME;MISSED:20261130T101500',
    'END:VCARD',
  ].join('\r\n');
}

/** The whole pull: the owner's card (empty, as most phones send it), then the contacts. */
export function phonebookVcf(cards: readonly PhoneCard[]): string {
  const owner = 'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:\r\nN:;;;;\r\nTEL:\r\nEND:VCARD';
  return [owner, ...cards.map((c, i) => cardText(c, i + 1))].join('\r\n') + '\r\n';
}
