// Two network namespaces joined by a veth pair, with random packet loss by nftables
// (`numgen random`) and bandwidth by tbf: this kernel has no netem. Only addresses inside
// them (10.231.7.1 hub, 10.231.7.2 client) are used.
import { execFileSync, spawnSync } from 'node:child_process';

export const NS_HUB = 'concord-rel-hub';
export const NS_CLI = 'concord-rel-cli';
export const HUB_IP = '10.231.7.1';
export const CLI_IP = '10.231.7.2';
const VETH_HUB = 'crel-h';
const VETH_CLI = 'crel-c';

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Why netns tests cannot run here, or null. */
export function netnsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'not root: network-namespace tests skipped (run as root)';
  if (spawnSync('sh', ['-c', 'command -v ip && command -v nft']).status !== 0) return 'ip or nft missing (apt-get install -y iproute2 nftables): network-namespace tests skipped';
  return null;
}

export function teardownNetns(): void {
  for (const ns of [NS_HUB, NS_CLI]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
}

export function setupNetns(): void {
  teardownNetns(); // leftovers of an earlier run of ours
  ip('netns', 'add', NS_HUB);
  ip('netns', 'add', NS_CLI);
  ip('link', 'add', VETH_HUB, 'netns', NS_HUB, 'type', 'veth', 'peer', 'name', VETH_CLI, 'netns', NS_CLI);
  ip('-n', NS_HUB, 'addr', 'add', `${HUB_IP}/24`, 'dev', VETH_HUB);
  ip('-n', NS_CLI, 'addr', 'add', `${CLI_IP}/24`, 'dev', VETH_CLI);
  for (const [ns, dev] of [
    [NS_HUB, VETH_HUB],
    [NS_CLI, VETH_CLI],
  ] as const) {
    ip('-n', ns, 'link', 'set', dev, 'up');
    ip('-n', ns, 'link', 'set', 'lo', 'up');
  }
}

/** Drops `percent` % of packets at random each way on the hub's veth (0: none). */
export function setLoss(percent: number): void {
  spawnSync('ip', ['netns', 'exec', NS_HUB, 'nft', 'delete', 'table', 'inet', 'crel'], { stdio: 'ignore' });
  if (percent <= 0) return;
  const rules = `table inet crel {
  chain in {
    type filter hook input priority 0; policy accept;
    iifname "${VETH_HUB}" numgen random mod 100 < ${percent} counter drop
  }
  chain out {
    type filter hook output priority 0; policy accept;
    oifname "${VETH_HUB}" numgen random mod 100 < ${percent} counter drop
  }
}
`;
  execFileSync('ip', ['netns', 'exec', NS_HUB, 'nft', '-f', '-'], { input: rules, stdio: ['pipe', 'ignore', 'pipe'] });
}

/** Packets the loss rules dropped so far. */
export function dropped(): number {
  const r = spawnSync('ip', ['netns', 'exec', NS_HUB, 'nft', 'list', 'table', 'inet', 'crel'], { encoding: 'utf8' });
  return [...(r.stdout ?? '').matchAll(/counter packets (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
}

/** tbf on the hub's veth: `kbit` kilobits per second (0: remove). */
export function setBandwidth(kbit: number): void {
  spawnSync('ip', ['netns', 'exec', NS_HUB, 'tc', 'qdisc', 'del', 'dev', VETH_HUB, 'root'], { stdio: 'ignore' });
  if (kbit > 0) execFileSync('ip', ['netns', 'exec', NS_HUB, 'tc', 'qdisc', 'add', 'dev', VETH_HUB, 'root', 'tbf', 'rate', `${kbit}kbit`, 'burst', '16kb', 'latency', '400ms']);
}
