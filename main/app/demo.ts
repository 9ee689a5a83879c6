// `concord serve --demo`: a simulated phone (a SIM phonebook, listed whole each time) and a
// simulated laptop (with a change log), a few dozen contacts, and a script of edits "made on
// the devices" between runs, so a new user sees every screen with something on it: progress
// bars (each operation takes a moment), conflicts, pending changes, an interrupted sync.
// The devices keep their storage in the data folder, so a restart finds them as it left them.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { contactOf, type Contact } from '../core/contact';
import { SimHandset, type SimEntry } from '../devices/at-phonebook/simulator';
import { SimulatedDevice, type SimulatedDeviceOptions, type SimulatedDeviceState } from '../devices/simulated/device';
import type { Hub } from '../hub/hub';

export const DEMO_PHONE = 'demo-phone';
export const DEMO_LAPTOP = 'demo-laptop';

const PEOPLE: [string, string, string?][] = [
  ['Anna Berg', '07700 900101', 'anna.berg@example.org'],
  ['Ben Carter', '07700 900102', 'ben@example.com'],
  ['Carla Diaz', '07700 900103', 'carla.diaz@example.net'],
  ['Dmitri Volkov', '07700 900104'],
  ['Elif Şahin', '07700 900105', 'elif@example.org'],
  ['Farah Haddad', '07700 900106'],
  ['George Okafor', '07700 900107', 'george.okafor@example.com'],
  ['Hannah Schmidt', '+49 30 901820', 'hannah@example.de'],
  ['Ivan Petrov', '07700 900109'],
  ['Julia Rossi', '07700 900110', 'julia.rossi@example.it'],
  ['Kenji Tanaka', '07700 900111'],
  ['Laura Nilsson', '07700 900112', 'laura@example.se'],
  ['Mitsuko Uchida', '020 7946 0001', 'mitsuko@example.org'],
  ['Noah Levi', '07700 900114'],
  ['Olivia Brown', '07700 900115', 'olivia.brown@example.com'],
  ['Pedro Alves', '07700 900116'],
  ['Quinn Murphy', '07700 900117', 'quinn@example.ie'],
  ['Rosa Martínez', '07700 900118'],
  ['Samir Khan', '07700 900119', 'samir.khan@example.org'],
  ['Tess O\'Neill', '07700 900120'],
  ['Uma Patel', '07700 900121', 'uma@example.in'],
  ['Victor Hugo', '07700 900122'],
  ['Wen Li', '07700 900123', 'wen.li@example.cn'],
  ['Xavier Dubois', '07700 900124'],
  ['Yara Costa', '07700 900125', 'yara@example.br'],
  ['Zoë Adams', '07700 900126'],
  ['Dentist (Dr Shaw)', '020 7946 0100'],
  ['Garage', '020 7946 0200'],
  ['Mum', '07700 900130', 'mum@example.org'],
  ['Dad', '07700 900131'],
  ['School office', '020 7946 0300', 'office@school.example'],
  ['Vet', '020 7946 0400'],
];

function person([fn, tel, email]: [string, string, string?], withEmail: boolean): Partial<Contact> {
  const parts = fn.split(' ');
  return contactOf({
    fn,
    n: parts.length === 2 ? [parts[1]!, parts[0]!] : [],
    tel: [{ type: 'cell', value: tel }],
    email: withEmail && email ? [{ type: 'home', value: email }] : [],
  });
}

export interface Demo {
  /** null: the user forgot that demo device; it is not brought back. */
  phone: SimulatedDevice | null;
  laptop: SimulatedDevice | null;
  /** Saves the devices' storage and stops following the hub. */
  dispose(): void;
}

export interface DemoOptions {
  /** Where the demo devices keep their storage between starts (the hub's data folder). */
  dataDir: string;
  /** Delay before each acknowledgement, so progress bars show (default 60 ms). */
  opDelayMs?: number;
}

/** What the demo keeps in the data folder: the two devices' own storage (contacts, LUIDs,
 *  change logs, sync state — what a real phone and laptop keep in theirs) and how far the
 *  script of edits "made on the devices" has got. */
interface DemoState {
  format: 1;
  /** Scripted batches already applied on the devices. */
  applied: number;
  devices: Partial<Record<string, SimulatedDeviceState>>;
}

export const demoStateFile = (dataDir: string): string => path.join(dataDir, 'demo-devices.json');

function readState(file: string): DemoState | null {
  if (!existsSync(file)) return null;
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as DemoState;
    return s.format === 1 ? s : null;
  } catch (e) {
    console.error(`concord demo: ${file} could not be read (${(e as Error).message}); the demo devices start afresh`);
    return null;
  }
}

function writeState(file: string, s: DemoState): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(s));
  renameSync(tmp, file);
}

function luidOf(d: SimulatedDevice, name: string): string | undefined {
  return d.records().find((r) => r.data.fn === name || r.data.fn.startsWith(name))?.luid;
}

/** The demo devices. At the first start they are paired and attached, the first sync runs
 *  and the first scripted edits are made on them. At every later start they come back as a
 *  real phone and laptop would: with their own contacts and sync state (from the data
 *  folder), paired as the user left them (same priority, same name), never re-paired; a
 *  demo device the user forgot stays forgotten. */
export async function setUpDemo(hub: Hub, opts: DemoOptions): Promise<Demo> {
  const opDelayMs = opts.opDelayMs ?? 60;
  const file = demoStateFile(opts.dataDir);
  const saved = readState(file);
  const simCapacity = { fields: ['fn', 'tel'] as const, maxNameLength: 18, maxValues: { tel: 1 }, maxEntries: 250 };
  const phoneOpts: SimulatedDeviceOptions = {
    spid: DEMO_PHONE,
    changeTracking: 'snapshot',
    capacity: { ...simCapacity, fields: [...simCapacity.fields] },
    initial: PEOPLE.slice(0, 20).map((p) => person(p, false)),
    opDelayMs,
  };
  const laptopOpts: SimulatedDeviceOptions = {
    spid: DEMO_LAPTOP,
    changeTracking: 'log',
    initial: PEOPLE.slice(8).map((p) => person(p, true)),
    opDelayMs,
  };
  const firstStart = saved === null && !hub.device(DEMO_PHONE) && !hub.device(DEMO_LAPTOP);
  const bring = (o: SimulatedDeviceOptions): SimulatedDevice | null => {
    if (firstStart) return new SimulatedDevice(o);
    if (!hub.device(o.spid)) return null; // forgotten by the user
    const st = saved?.devices[o.spid];
    // Paired, but its storage is missing (a data folder of an older Concord): the device
    // comes back empty, having lost its sync state, and the hub sends it what it lacks.
    return st ? SimulatedDevice.fromState(o, st) : SimulatedDevice.fromState(o, { held: [], nextIndex: 1, log: [], reported: [], lateAcks: [], lostState: true, renamed: [], faults: {} });
  };
  const phone = bring(phoneOpts);
  const laptop = bring(laptopOpts);
  const state: DemoState = { format: 1, applied: saved?.applied ?? 0, devices: {} };
  const save = () => {
    state.devices = {};
    if (phone) state.devices[DEMO_PHONE] = phone.state();
    if (laptop) state.devices[DEMO_LAPTOP] = laptop.state();
    try {
      writeState(file, state);
    } catch (e) {
      console.error('concord demo: the demo devices could not be saved', e);
    }
  };
  if (firstStart) {
    hub.pairDevice({ spid: DEMO_PHONE, name: 'Phone (SIM card)', kind: 'simulated', link: 'usb', changeTracking: 'snapshot', capacity: phone!.capacity, config: { demo: true } });
    hub.pairDevice({ spid: DEMO_LAPTOP, name: 'Laptop', kind: 'simulated', link: 'lan', changeTracking: 'log', capacity: {}, config: { demo: true } });
  }
  // Saved after every acknowledgement the hub counted, so the devices' storage and the
  // hub's sync state agree however the process stops.
  const offSave = hub.on('progress', () => save());
  if (phone) hub.attach(phone);
  if (laptop) hub.attach(laptop);
  if (firstStart) await hub.sync([DEMO_PHONE, DEMO_LAPTOP]);
  save();

  // What "the user" does on the devices between runs. Each batch is applied when a run
  // with devices has finished, so every "Sync now" in the demo has something to do; the
  // count applied is kept, so a restart never makes the same edits twice.
  const batches: ((phone: SimulatedDevice, laptop: SimulatedDevice) => void)[] = [
    (phone, laptop) => {
      // Two conflicts: the same number changed on both devices; a name changed on both.
      phone.userUpdate(luidOf(phone, 'Anna Berg')!, { tel: [{ type: 'cell', value: '07700 900201' }] });
      laptop.userUpdate(luidOf(laptop, 'Anna Berg')!, { tel: [{ type: 'cell', value: '07700 900301' }] });
      phone.userUpdate(luidOf(phone, 'Kenji Tanaka')!, { fn: 'Kenji Tanaka (w)' });
      laptop.userUpdate(luidOf(laptop, 'Kenji Tanaka')!, { fn: 'Kenji Tanaka-Ito' });
      // And ordinary changes that simply sync.
      phone.userAdd(person(['Pizza Roma', '020 7946 0500'], false));
      laptop.userUpdate(luidOf(laptop, 'Vet')!, { email: [{ type: 'work', value: 'hello@vet.example' }] });
      laptop.userAdd(person(['Plumber (Joe)', '07700 900140', 'joe@plumbing.example'], true));
      laptop.userDelete(luidOf(laptop, 'Garage')!);
    },
    (phone, laptop) => {
      // The next conflict, for after the user has changed the priority order.
      phone.userUpdate(luidOf(phone, 'Carla Diaz')!, { tel: [{ type: 'cell', value: '07700 900203' }] });
      laptop.userUpdate(luidOf(laptop, 'Carla Diaz')!, { tel: [{ type: 'cell', value: '07700 900303' }] });
      laptop.userAdd(person(['Book club', '07700 900150'], true));
    },
    (phone, laptop) => {
      // The cable comes out halfway: the history shows it in plain words, nothing is lost.
      for (const p of PEOPLE.slice(20, 24)) laptop.userUpdate(luidOf(laptop, p[0])!, { note: 'Met at the book club' });
      laptop.userAdd(person(['Taxi', '020 7946 0600'], false));
      laptop.userAdd(person(['Library', '020 7946 0700'], false));
      laptop.userAdd(person(['Pharmacy', '020 7946 0800'], false));
      laptop.userAdd(person(['Bakery', '020 7946 0900'], false));
      phone.faults = { cutAfterApplies: 1 };
    },
  ];
  const next = () => {
    const b = batches[state.applied];
    if (!b) return;
    state.applied++;
    // The script was written for both devices; once the user forgot one, it stops.
    if (phone && laptop) {
      try {
        b(phone, laptop);
      } catch (e) {
        console.error('concord demo: a scripted edit failed', e);
      }
    }
    save();
  };
  if (firstStart) next();
  const off = hub.on('progress', (p) => {
    if (p.type === 'run-finished' && p.summary.devices.length > 0) next();
  });
  // The demo opens with its first conflicts on the Conflicts screen: the first start syncs
  // the edits just made on the devices (and the next batch is staged for "Sync now").
  if (firstStart) await hub.sync([DEMO_PHONE, DEMO_LAPTOP]);
  let disposed = false;
  return {
    phone,
    laptop,
    dispose: () => {
      if (disposed) return;
      disposed = true;
      off();
      offSave();
      save();
    },
  };
}

// ---- `--demo-phone`: a real AT phone on a socat pty pair ---------------------------------

export interface DemoPhone {
  /** The host's end of the pty pair: watch it like a serial port. */
  path: string;
  sim: SimHandset;
  close(): Promise<void>;
}

export const haveSocat = (): boolean => spawnSync('sh', ['-c', 'command -v socat'], { stdio: 'ignore' }).status === 0;

export const demoPhoneFile = (dataDir: string): string => path.join(dataDir, 'demo-handset.json');

/** The handset's phonebook as it stands, to keep across restarts: storage → [index, entry]. */
type Phonebook = Record<string, [number, SimEntry][]>;

function phonebookOf(sim: SimHandset): Phonebook {
  const out: Phonebook = {};
  for (const [name, st] of sim.storages) out[name] = [...st.entries];
  return out;
}

/** The handset simulator (a SIM of 250 and a phone memory of 1,000 entries, some filled)
 *  serving one end of a socat pty pair; null (and why) when socat is not installed. With a
 *  data folder its phonebook is kept there, as a real phone keeps its own: a restart finds
 *  what the hub wrote to it, not the first fill again. */
export async function startDemoPhone(log: (s: string) => void = console.log, dataDir?: string): Promise<DemoPhone | null> {
  if (!haveSocat()) {
    log('Demo phone skipped: socat is not installed (apt-get install socat).');
    return null;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'concord-demo-phone-'));
  const phoneEnd = path.join(dir, 'phone');
  const hostEnd = path.join(dir, 'ttyDEMO');
  const proc = spawn('socat', [`pty,raw,echo=0,link=${phoneEnd}`, `pty,raw,echo=0,link=${hostEnd}`], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const end = Date.now() + 5000;
  while (!(existsSync(phoneEnd) && existsSync(hostEnd))) {
    if (Date.now() > end || proc.exitCode !== null) {
      proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      log('Demo phone skipped: socat did not start.');
      return null;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const file = dataDir ? demoPhoneFile(dataDir) : null;
  let kept: Phonebook | null = null;
  if (file && existsSync(file)) {
    try {
      kept = (JSON.parse(readFileSync(file, 'utf8')) as { format: number; phonebook: Phonebook }).phonebook;
    } catch (e) {
      log(`Demo phone: ${file} could not be read (${(e as Error).message}); it starts with its first phonebook.`);
    }
  }
  const sim = new SimHandset({ baud: 115200, charsets: ['GSM', 'UCS2'], fill: kept ? {} : { SM: 25, ME: 40 }, manufacturer: 'Concord', model: 'Demo handset', imei: '356938035643809', imsi: '234150999999999' });
  if (kept) for (const [name, entries] of Object.entries(kept)) {
    const st = sim.storages.get(name);
    if (st) st.entries = new Map(entries);
  }
  let saved = '';
  const save = () => {
    if (!file) return;
    const text = JSON.stringify({ format: 1, phonebook: phonebookOf(sim) });
    if (text === saved) return;
    try {
      writeFileSync(`${file}.tmp`, text);
      renameSync(`${file}.tmp`, file);
      saved = text;
    } catch (e) {
      log(`Demo phone: its phonebook could not be saved (${(e as Error).message}).`);
    }
  };
  save();
  // The handset writes its phonebook as the hub's commands arrive; kept every second.
  const timer = setInterval(save, 1000);
  timer.unref();
  sim.serve(phoneEnd);
  return {
    path: hostEnd,
    sim,
    close: async () => {
      clearInterval(timer);
      save();
      if (proc.exitCode === null) proc.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
