// `concord serve --demo`: a simulated phone (a SIM phonebook, listed whole each time) and a
// simulated laptop (with a change log), a few dozen contacts, and a script of edits "made on
// the devices" between runs, so a new user sees every screen with something on it: progress
// bars (each operation takes a moment), conflicts, pending changes, an interrupted sync.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { contactOf, type Contact } from '../core/contact';
import { SimHandset } from '../devices/at-phonebook/simulator';
import { SimulatedDevice } from '../devices/simulated/device';
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
  phone: SimulatedDevice;
  laptop: SimulatedDevice;
  dispose(): void;
}

function luidOf(d: SimulatedDevice, name: string): string | undefined {
  return d.records().find((r) => r.data.fn === name || r.data.fn.startsWith(name))?.luid;
}

/** Pairs and attaches the two devices, runs the first sync, stages the first edits. */
export async function setUpDemo(hub: Hub, opts: { opDelayMs?: number } = {}): Promise<Demo> {
  const opDelayMs = opts.opDelayMs ?? 60;
  // A fresh pair each start: the simulated devices live in memory, so a device paired in an
  // earlier session would come back with other local ids.
  for (const spid of [DEMO_PHONE, DEMO_LAPTOP]) if (hub.device(spid)) hub.forgetDevice(spid);
  const simCapacity = { fields: ['fn', 'tel'] as const, maxNameLength: 18, maxValues: { tel: 1 }, maxEntries: 250 };
  const phone = new SimulatedDevice({
    spid: DEMO_PHONE,
    changeTracking: 'snapshot',
    capacity: { ...simCapacity, fields: [...simCapacity.fields] },
    initial: PEOPLE.slice(0, 20).map((p) => person(p, false)),
    opDelayMs,
  });
  const laptop = new SimulatedDevice({
    spid: DEMO_LAPTOP,
    changeTracking: 'log',
    initial: PEOPLE.slice(8).map((p) => person(p, true)),
    opDelayMs,
  });
  hub.pairDevice({ spid: DEMO_PHONE, name: 'Phone (SIM card)', kind: 'simulated', link: 'usb', changeTracking: 'snapshot', capacity: phone.capacity, config: { demo: true } });
  hub.pairDevice({ spid: DEMO_LAPTOP, name: 'Laptop', kind: 'simulated', link: 'lan', changeTracking: 'log', capacity: {}, config: { demo: true } });
  hub.attach(phone);
  hub.attach(laptop);
  await hub.sync([DEMO_PHONE, DEMO_LAPTOP]);

  // What "the user" does on the devices between runs. Each batch is applied when a run
  // with devices has finished, so every "Sync now" in the demo has something to do.
  const batches: (() => void)[] = [
    () => {
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
    () => {
      // The next conflict, for after the user has changed the priority order.
      phone.userUpdate(luidOf(phone, 'Carla Diaz')!, { tel: [{ type: 'cell', value: '07700 900203' }] });
      laptop.userUpdate(luidOf(laptop, 'Carla Diaz')!, { tel: [{ type: 'cell', value: '07700 900303' }] });
      laptop.userAdd(person(['Book club', '07700 900150'], true));
    },
    () => {
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
    const b = batches.shift();
    try {
      b?.();
    } catch (e) {
      console.error('concord demo: a scripted edit failed', e);
    }
  };
  next();
  const off = hub.on('progress', (p) => {
    if (p.type === 'run-finished' && p.summary.devices.length > 0) next();
  });
  return { phone, laptop, dispose: off };
}

// ---- `--demo-phone`: a real AT phone on a socat pty pair ---------------------------------

export interface DemoPhone {
  /** The host's end of the pty pair: watch it like a serial port. */
  path: string;
  sim: SimHandset;
  close(): Promise<void>;
}

export const haveSocat = (): boolean => spawnSync('sh', ['-c', 'command -v socat'], { stdio: 'ignore' }).status === 0;

/** The handset simulator (a SIM of 250 and a phone memory of 1,000 entries, some filled)
 *  serving one end of a socat pty pair; null (and why) when socat is not installed. */
export async function startDemoPhone(log: (s: string) => void = console.log): Promise<DemoPhone | null> {
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
  const sim = new SimHandset({ baud: 115200, charsets: ['GSM', 'UCS2'], fill: { SM: 25, ME: 40 }, manufacturer: 'Concord', model: 'Demo handset', imei: '356938035643809', imsi: '234150999999999' });
  sim.serve(phoneEnd);
  return {
    path: hostEnd,
    sim,
    close: async () => {
      if (proc.exitCode === null) proc.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
