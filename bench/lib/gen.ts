// A seeded generator of realistic contacts for the benchmarks: 1–3 numbers (cell, work,
// home, fax) written the many ways people type them, 0–2 e-mails, about 15% non-Latin
// names (Greek, Cyrillic, CJK, Arabic, a few with emoji), some organizations, titles,
// notes, addresses and birthdays. The same seed always gives the same contacts.
import { flat, type Contact, type TypedValue } from '../../main/core/contact';

/** mulberry32: a small, fast 32-bit PRNG, good enough for test data. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }
  digits(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String(this.int(10));
    return s;
  }
}

const LATIN_GIVEN = [
  'James', 'Mary', 'Robert', 'Patricia', 'John', 'Jennifer', 'Michael', 'Linda', 'David', 'Elizabeth',
  'William', 'Barbara', 'Richard', 'Susan', 'Joseph', 'Jessica', 'Thomas', 'Sarah', 'Charles', 'Karen',
  'Oliver', 'Amelia', 'Harry', 'Isla', 'George', 'Ava', 'Noah', 'Mia', 'Jack', 'Emily', 'Leo', 'Sophie',
  'Lukas', 'Hannah', 'Jonas', 'Lea', 'Matteo', 'Giulia', 'Hugo', 'Chloé', 'Léa', 'Zoë', 'José', 'María',
  'Søren', 'Åsa', 'Björn', 'Ines', 'Mateus', 'Ana', 'Siobhán', 'Niamh', 'Dorota', 'Paweł', 'Tomáš',
];
const LATIN_FAMILY = [
  'Smith', 'Jones', 'Taylor', 'Brown', 'Williams', 'Wilson', 'Johnson', 'Davies', 'Patel', 'Robinson',
  'Wright', 'Thompson', 'Evans', 'Walker', 'White', 'Roberts', 'Green', 'Hall', 'Wood', 'Jackson',
  'Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'García', 'Fernández', 'López', 'Martínez',
  'Rossi', 'Russo', 'Bianchi', 'Dubois', 'Lefèvre', 'Moreau', 'Nowak', 'Kowalski', 'Novák', 'Jensen',
  "O'Brien", 'MacDonald', 'van der Berg', 'de Jong', 'Nguyen', 'Kim', 'Singh', 'Okafor', 'Mensah',
];
/** [given, family] pools per script. */
const NON_LATIN: { script: string; given: string[]; family: string[]; familyFirst?: boolean }[] = [
  { script: 'greek', given: ['Γιώργος', 'Μαρία', 'Νίκος', 'Ελένη', 'Δημήτρης', 'Κατερίνα', 'Γιάννης', 'Σοφία'], family: ['Παπαδόπουλος', 'Παπαδοπούλου', 'Οικονόμου', 'Γεωργίου', 'Νικολάου', 'Καραγιάννης'] },
  { script: 'cyrillic', given: ['Александр', 'Мария', 'Дмитрий', 'Анна', 'Сергей', 'Ольга', 'Иван', 'Наталья', 'Олександр', 'Богдана'], family: ['Иванов', 'Смирнова', 'Кузнецов', 'Попова', 'Соколов', 'Шевченко', 'Коваленко', 'Петров'] },
  { script: 'cjk', given: ['伟', '芳', '娜', '敏', '静', '太郎', '花子', '翔太', '민준', '서연'], family: ['王', '李', '张', '刘', '陈', '佐藤', '鈴木', '高橋', '김', '이', '박'], familyFirst: true },
  { script: 'arabic', given: ['محمد', 'فاطمة', 'أحمد', 'مريم', 'علي', 'زينب', 'يوسف', 'نور'], family: ['الأحمد', 'حسن', 'العلي', 'إبراهيم', 'الخطيب', 'منصور'] },
];
const EMOJI = ['🎸', '⚽', '🏠', '❤️', '🌟', '🐶', '👩‍💻', '🇬🇧'];
const ORGS = ['Acme Ltd', 'Globex Corporation', 'Initech', 'Umbrella plc', 'Stark Industries', 'Wayne Enterprises', 'Hooli', 'Vandelay Industries', 'NHS Trust', 'City Council', 'Universität Wien', 'Société Générale', 'Müller & Söhne GmbH', 'Tyrell Corp'];
const TITLES = ['Engineer', 'Manager', 'Nurse', 'Teacher', 'Accountant', 'Director', 'Plumber', 'Dentist', 'Sales', 'CTO', 'Designer'];
const DOMAINS = ['gmail.com', 'outlook.com', 'yahoo.co.uk', 'icloud.com', 'web.de', 'mail.ru', 'gmx.net', 'example.org', 'proton.me', 'btinternet.com'];
const STREETS = ['High Street', 'Station Road', 'Church Lane', 'Hauptstraße', 'Rue de la Paix', 'Main Street', 'Park Avenue', 'Calle Mayor'];
const CITIES = ['London', 'Manchester', 'Bristol', 'Berlin', 'Paris', 'Madrid', 'Dublin', 'Edinburgh', 'Athens', 'Kyiv'];
const NOTES = ['Met at the conference', 'Neighbour, spare key', 'Call after 6pm', 'Birthday party every June\nBring cake', 'Football team', "Kids' school", 'Dentist — reception', 'Old colleague'];

/** A phone number as a person types it; `serial` keeps numbers unique across a set. */
function phone(rng: Rng, serial: number): string {
  // Six digits from the serial, the rest random: no two generated contacts share a number
  // by accident (a shared number plus the same name would make them duplicates).
  const u = String(serial % 1_000_000).padStart(6, '0');
  const r = rng.digits(3);
  switch (rng.int(7)) {
    case 0:
      return `07${r.slice(0, 1)}${u.slice(0, 2)} ${u.slice(2)}${r.slice(1)}`; // UK mobile, national
    case 1:
      return `+44 7${r.slice(0, 2)}${u.slice(0, 1)} ${u.slice(1)}${r.slice(2)}`; // UK mobile, international
    case 2:
      return `020 ${r.slice(0, 1)}${u.slice(0, 3)} ${u.slice(3)}${r.slice(1, 2)}`; // London
    case 3:
      return `+49 30 ${u}${r.slice(0, 2)}`; // Berlin
    case 4:
      return `+1 (415) ${r.slice(0, 1)}${u.slice(0, 2)}-${u.slice(2)}`; // San Francisco
    case 5:
      return `+33 6 ${u.slice(0, 2)} ${u.slice(2, 4)} ${u.slice(4)} ${r.slice(0, 2)}`; // French mobile
    default:
      return `01632-${u}`; // UK drama range, with a dash
  }
}

function asciiOf(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z]/g, '');
}

/** The `i`-th contact of the set generated from `seed` (independent of the others, so any
 *  slice can be regenerated). */
export function contactAt(seed: number, i: number): Partial<Contact> {
  const rng = new Rng((seed * 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b));
  let given: string;
  let family: string;
  let fn: string;
  let ascii: string;
  if (rng.chance(0.15)) {
    const pool = rng.pick(NON_LATIN);
    given = rng.pick(pool.given);
    family = rng.pick(pool.family);
    fn = pool.familyFirst ? `${family}${given}` : `${given} ${family}`;
    ascii = '';
  } else {
    given = rng.pick(LATIN_GIVEN);
    family = rng.pick(LATIN_FAMILY);
    fn = rng.chance(0.05) ? `${family}, ${given}` : `${given} ${family}`;
    ascii = `${asciiOf(given)}.${asciiOf(family)}`;
  }
  if (rng.chance(0.03)) fn = `${fn} ${rng.pick(EMOJI)}`;

  const tel: TypedValue[] = [];
  const nTel = 1 + rng.int(3);
  const types = ['cell', 'cell', 'cell', 'work', 'home', 'home', 'fax,work', 'mobile', 'WORK,VOICE'];
  for (let k = 0; k < nTel; k++) tel.push({ type: rng.pick(types), value: phone(rng, i * 3 + k) });

  const email: TypedValue[] = [];
  const nMail = rng.int(3);
  for (let k = 0; k < nMail; k++) {
    const user = ascii || `user${i}`;
    email.push({ type: rng.pick(['home', 'work', '']), value: `${user}${k === 0 ? '' : k}${i}@${rng.pick(DOMAINS)}` });
  }

  const c: Partial<Contact> = { fn, n: [family, given], tel, email };
  if (rng.chance(0.3)) c.org = rng.pick(ORGS);
  if (c.org && rng.chance(0.6)) c.title = rng.pick(TITLES);
  if (rng.chance(0.15)) c.note = rng.pick(NOTES);
  if (rng.chance(0.2)) c.adr = [{ type: rng.pick(['home', 'work']), value: `;;${1 + rng.int(200)} ${rng.pick(STREETS)};${rng.pick(CITIES)};;${rng.digits(5)};` }];
  if (rng.chance(0.1)) c.bday = `19${50 + rng.int(50)}-0${1 + rng.int(9)}-${10 + rng.int(18)}`;
  if (rng.chance(0.05)) c.url = [{ type: '', value: `https://example.org/~${ascii || `u${i}`}` }];
  return flatContact(c);
}

/** Every string of the contact flat, as a device adapter's parser gives them (built by
 *  concatenation here, many would stay trees of their pieces in V8: 100,000 contacts took
 *  114 MB of heap so, 88 MB flat). */
function flatContact(c: Partial<Contact>): Partial<Contact> {
  const list = (xs: TypedValue[] | undefined) => xs?.map((x) => ({ type: flat(x.type), value: flat(x.value) }));
  const out: Partial<Contact> = { ...c };
  if (c.fn !== undefined) out.fn = flat(c.fn);
  if (c.n) out.n = c.n.map(flat);
  for (const f of ['tel', 'email', 'adr', 'url'] as const) if (c[f]) out[f] = list(c[f]);
  return out;
}

/** `n` contacts from `seed`, starting at index `from`. */
export function generateContacts(n: number, seed = 1, from = 0): Partial<Contact>[] {
  const out: Partial<Contact>[] = new Array(n);
  for (let k = 0; k < n; k++) out[k] = contactAt(seed, from + k);
  return out;
}

/** An edit a user makes on a device: a new number in a slot, a new e-mail, a note, a
 *  changed organization. Deterministic from `rng`. */
export function userEdit(rng: Rng, c: Partial<Contact>, serial: number): Partial<Contact> {
  switch (rng.int(4)) {
    case 0: {
      const tel = [...(c.tel ?? [])];
      tel[0] = { type: tel[0]?.type ?? 'cell', value: `+44 7700 9${String(serial % 100000).padStart(5, '0')}` };
      return { tel };
    }
    case 1:
      return { email: [...(c.email ?? []), { type: 'work', value: `new${serial}@${rng.pick(DOMAINS)}` }] };
    case 2:
      return { note: `Edited ${serial}: ${rng.pick(NOTES)}` };
    default:
      return { org: rng.pick(ORGS), title: rng.pick(TITLES) };
  }
}
