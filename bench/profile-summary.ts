/**
 * Summarises a V8 CPU profile (`node --cpu-prof`) of a bench run: self time by function and by
 * origin (our runtime, amqplib, zod, Node internals, GC), and inclusive time of our runtime's functions.
 *
 *   node --cpu-prof --cpu-prof-dir=.tmp/prof --import tsx bench/index.ts --only=e2e --side=ours --types=classic
 *   npx tsx bench/profile-summary.ts .tmp/prof/<file>.cpuprofile [top=25]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function origin(url: string, name: string): string {
  if (url === '') return name.startsWith('(') ? name : '(native)';
  if (url.includes('/runtime/')) return 'runtime/' + (url.split('/runtime/')[1] ?? '');
  if (url.includes('/bench/')) return 'bench';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] as string;
  if (url.startsWith('node:')) return 'node internals';
  return url;
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.replace(/^.*\/(node_modules\/|runtime\/|bench\/)/, '$1').replace(/^file:\/\//, '');
  return `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
}

function main(): void {
  const [file, topArg] = process.argv.slice(2);
  if (!file) {
    console.log('usage: tsx bench/profile-summary.ts <file.cpuprofile> [top]');
    return;
  }
  const top = Number(topArg) > 0 ? Number(topArg) : 25;
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const self = new Map<string, number>();
  const byOrigin = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, index) => {
    const dt = (profile.timeDeltas[index] ?? 0) / 1000;
    const node = byId.get(id);
    if (!node) return;
    total += dt;
    if (node.callFrame.functionName === '(idle)') {
      idle += dt;
      return;
    }
    const name = label(node);
    self.set(name, (self.get(name) ?? 0) + dt);
    const where = origin(node.callFrame.url, node.callFrame.functionName);
    byOrigin.set(where, (byOrigin.get(where) ?? 0) + dt);
    // Inclusive time: each function once per sample, however deep it recurses.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at) as ProfileNode;
      if (!frame.callFrame.url.includes('/runtime/')) continue;
      const key = label(frame);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + dt);
    }
  });
  const busy = total - idle;
  const pct = (ms: number): string => `${((100 * ms) / busy).toFixed(1).padStart(5)} %`;
  const print = (title: string, map: Map<string, number>, limit: number): void => {
    console.log(`\n${title}`);
    for (const [name, ms] of [...map].sort((a, b) => b[1] - a[1]).slice(0, limit))
      console.log(`  ${pct(ms)}  ${ms.toFixed(0).padStart(6)} ms  ${name}`);
  };
  console.log(
    `profile ${file}: ${total.toFixed(0)} ms sampled, ${idle.toFixed(0)} ms idle, ${busy.toFixed(0)} ms busy`,
  );
  print('self time by origin (% of busy)', byOrigin, 15);
  print('self time by function', self, top);
  print('inclusive time of runtime/ functions', inclusive, top);
}

main();
