/**
 * A network namespace made for one test or benchmark, with its loopback shaped: rate and
 * bottleneck queue by a `tc` HTB class with a byte-limited FIFO, random loss by an iptables
 * `statistic` rule. The shaped packets are either all of the loopback's or, as on a real path
 * whose downlink is the bottleneck, only those leaving one server port (an iptables `CLASSIFY`
 * rule picks them out: this kernel has no tc filters). Everything that should cross the shaped link runs inside the namespace
 * (`ip netns exec`), so traffic never leaves its loopback. Needs root, iproute2 and iptables
 * (`scripts/ensure-netshaping.sh` installs them).
 *
 * This machine's kernel has no `sch_netem`, so added delay is not available on the real link
 * (the simulator covers RTTs); loss uses iptables instead of netem's `loss`.
 */
import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { QuadStreamError } from '../core/errors.ts';

const run = promisify(execFile);
const ENSURE = fileURLToPath(new URL('../../scripts/ensure-netshaping.sh', import.meta.url));

/** How the loopback link behaves. Rates in bits per second. */
export interface LinkShape {
  readonly rateBps: number;
  /** Random loss of the shaped packets, percent. */
  readonly lossPercent?: number;
  /** Bottleneck queue as milliseconds at the link rate (default 200); packets beyond it are dropped. */
  readonly queueMs?: number;
  /**
   * Shape only TCP packets from this port — a server's downlink — and leave the other direction
   * (the viewer's feedback and TCP's acknowledgements) unshaped, like the uncongested uplink of a
   * real path. Without it every packet on the loopback shares the one bottleneck, so feedback
   * waits behind the video it reports on.
   */
  readonly sourcePort?: number;
}

/** Loopback MTU inside the namespace, as on an Ethernet link. */
export const LINK_MTU = 1500;

/** HTB class of the shaped link; unshaped traffic goes to {@link FREE_CLASS}. */
export const SHAPED_CLASS = '1:20';
export const FREE_CLASS = '1:10';

/**
 * The `tc class` arguments (after `add`/`change dev lo`) for the shaped class: an HTB class whose
 * rate and ceiling are the link rate, with a burst of one packet (a quarter of a millisecond at
 * rates where that is more), so the link also holds its rate over a single frame, as a serial link
 * does: after an idle spell only the first packet of a frame goes through unpaced.
 */
export function shapedClassArgs(shape: LinkShape): string[] {
  const rate = Math.max(8000, Math.round(shape.rateBps));
  const burst = Math.max(LINK_MTU, Math.round(rate / 8 / 4000));
  return [
    'parent',
    '1:',
    'classid',
    SHAPED_CLASS,
    'htb',
    'rate',
    `${rate}bit`,
    'ceil',
    `${rate}bit`,
    'burst',
    String(burst),
    'cburst',
    String(burst),
  ];
}

/** The `tc qdisc` arguments (after `add`/`change dev lo`) for the shaped class's byte-limited queue. */
export function queueArgs(shape: LinkShape): string[] {
  const rate = Math.max(8000, Math.round(shape.rateBps));
  const queueBytes = Math.max(4 * LINK_MTU, Math.round(((rate / 8) * (shape.queueMs ?? 200)) / 1000));
  return ['parent', SHAPED_CLASS, 'handle', '20:', 'bfifo', 'limit', String(queueBytes)];
}

/** iptables match arguments for the shaped packets: all of the loopback's, or those from one port. */
export function shapedMatchArgs(sourcePort: number | undefined): string[] {
  return sourcePort === undefined ? ['-o', 'lo'] : ['-o', 'lo', '-p', 'tcp', '--sport', String(sourcePort)];
}

/** The iptables rule arguments that drop `percent` of the shaped packets. */
export function lossRuleArgs(percent: number, sourcePort?: number): string[] {
  return [
    ...shapedMatchArgs(sourcePort),
    '-m',
    'statistic',
    '--mode',
    'random',
    '--probability',
    (percent / 100).toFixed(4),
    '-j',
    'DROP',
  ];
}

/** A namespace with a shaped loopback; `await using` deletes it. */
export class ShapedNamespace implements AsyncDisposable {
  readonly name: string;
  #deleted = false;

  private constructor(name: string) {
    this.name = name;
  }

  /** Creates the namespace, brings its loopback up with 1500-byte packets (like a real link). */
  static async create(prefix = 'qs'): Promise<ShapedNamespace> {
    if (process.getuid?.() !== 0) {
      throw new QuadStreamError('config', 'netns.not-root', 'network namespaces and tc need root');
    }
    await run('bash', [ENSURE]).catch((cause: unknown) => {
      throw new QuadStreamError(
        'config',
        'netns.no-iproute2',
        'iproute2 (ip, tc) is missing and could not be installed',
        { cause },
      );
    });
    const name = `${prefix}-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
    await ip(['netns', 'add', name]);
    const ns = new ShapedNamespace(name);
    try {
      // Packets of one MTU on the wire: without this the kernel hands the loopback segments of up
      // to 64 KiB (GSO), which a shaper releases whole, so a frame would arrive in a few bursts.
      await ns.exec('ip', [
        'link',
        'set',
        'lo',
        'mtu',
        String(LINK_MTU),
        'gso_max_size',
        String(LINK_MTU),
        'gso_max_segs',
        '1',
      ]);
      await ns.exec('ip', ['link', 'set', 'lo', 'up']);
    } catch (error) {
      await ns[Symbol.asyncDispose]();
      throw error;
    }
    return ns;
  }

  /** What the loopback is set up as now: which packets are shaped, and the loss rule. */
  #applied: { sourcePort: number | undefined; lossPercent: number } | null = null;

  /**
   * Applies (or changes) the link shape at once. A change of rate or queue keeps the packets
   * already queued; a change of `sourcePort` rebuilds the link.
   */
  async shape(shape: LinkShape): Promise<void> {
    const loss = shape.lossPercent ?? 0;
    if (this.#applied === null || this.#applied.sourcePort !== shape.sourcePort) {
      await this.unshape();
      // HTB sorts packets by skb->priority, which the CLASSIFY target sets: the shaped packets
      // go to the shaped class, the rest to a class far faster than anything here.
      const defaultClass = shape.sourcePort === undefined ? '20' : '10';
      await this.exec('tc', [
        'qdisc',
        'add',
        'dev',
        'lo',
        'root',
        'handle',
        '1:',
        'htb',
        'default',
        defaultClass,
      ]);
      await this.exec('tc', [
        'class',
        'add',
        'dev',
        'lo',
        'parent',
        '1:',
        'classid',
        FREE_CLASS,
        'htb',
        'rate',
        '10gbit',
        'quantum',
        '200000',
      ]);
      await this.exec('tc', ['class', 'add', 'dev', 'lo', ...shapedClassArgs(shape)]);
      await this.exec('tc', ['qdisc', 'add', 'dev', 'lo', ...queueArgs(shape)]);
      if (shape.sourcePort !== undefined) {
        await this.exec('iptables', [
          '-t',
          'mangle',
          '-A',
          'POSTROUTING',
          ...shapedMatchArgs(shape.sourcePort),
          '-j',
          'CLASSIFY',
          '--set-class',
          SHAPED_CLASS,
        ]);
      }
      this.#applied = { sourcePort: shape.sourcePort, lossPercent: 0 };
    } else {
      await this.exec('tc', ['class', 'change', 'dev', 'lo', ...shapedClassArgs(shape)]);
      await this.exec('tc', ['qdisc', 'change', 'dev', 'lo', ...queueArgs(shape)]);
    }
    if (loss !== this.#applied.lossPercent) {
      await this.exec('iptables', ['-F', 'OUTPUT']);
      if (loss > 0) await this.exec('iptables', ['-A', 'OUTPUT', ...lossRuleArgs(loss, shape.sourcePort)]);
      this.#applied = { ...this.#applied, lossPercent: loss };
    }
  }

  /** Removes shaping: the loopback runs at full speed, without loss. */
  async unshape(): Promise<void> {
    await this.exec('tc', ['qdisc', 'del', 'dev', 'lo', 'root']).catch(() => undefined);
    await this.exec('iptables', ['-F', 'OUTPUT']).catch(() => undefined);
    await this.exec('iptables', ['-t', 'mangle', '-F', 'POSTROUTING']).catch(() => undefined);
    this.#applied = null;
  }

  /**
   * The namespace this process already runs in (started with `ip netns exec NAME`): shapes its
   * loopback directly. Disposing it deletes nothing.
   */
  static inside(name: string): ShapedNamespace {
    const ns = new ShapedNamespace(name);
    ns.#inside = true;
    ns.#deleted = true;
    return ns;
  }

  #inside = false;

  /** Runs a command inside the namespace and returns its output. */
  async exec(command: string, args: readonly string[]): Promise<{ stdout: string; stderr: string }> {
    if (this.#inside) return runIn(command, args);
    return ip(['netns', 'exec', this.name, command, ...args]);
  }

  /** Starts a long-running process inside the namespace. */
  spawn(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
    return spawn('ip', ['netns', 'exec', this.name, command, ...args], options);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#deleted) return;
    this.#deleted = true;
    await ip(['netns', 'del', this.name]).catch(() => undefined);
  }
}

async function ip(args: readonly string[]): Promise<{ stdout: string; stderr: string }> {
  return runIn('ip', args);
}

async function runIn(command: string, args: readonly string[]): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(command, [...args]);
  } catch (cause) {
    const stderr = (cause as { stderr?: string }).stderr?.trim() ?? '';
    throw new QuadStreamError(
      'transport',
      'netns.command-failed',
      `${command} ${args.join(' ')} failed: ${stderr.split('\n')[0] ?? ''}`,
      { cause },
    );
  }
}
