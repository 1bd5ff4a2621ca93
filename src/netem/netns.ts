/**
 * A network namespace made for one test or benchmark, with its loopback shaped: rate and
 * bottleneck queue by `tc`'s token bucket filter (tbf), random loss by an iptables `statistic`
 * rule. Everything that should cross the shaped link runs inside the namespace
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
  /** Random loss of packets leaving through the loopback, percent. */
  readonly lossPercent?: number;
  /** Bottleneck queue as milliseconds at the link rate (default 200); packets beyond it are dropped. */
  readonly queueMs?: number;
}

/** Loopback MTU inside the namespace, as on an Ethernet link. */
export const LINK_MTU = 1500;

/** The `tc qdisc` arguments (after `root`) for a shape: a token bucket with a byte-limited queue. */
export function tbfArgs(shape: LinkShape): string[] {
  const rate = Math.max(8000, Math.round(shape.rateBps));
  const queueBytes = Math.max(4 * LINK_MTU, Math.round(((rate / 8) * (shape.queueMs ?? 200)) / 1000));
  // Burst: a few packets, so the rate holds on short time scales too.
  const burst = Math.max(4 * LINK_MTU, Math.round(rate / 8 / 250));
  return ['tbf', 'rate', `${rate}bit`, 'burst', String(burst), 'limit', String(queueBytes)];
}

/** The iptables rule arguments that drop `percent` of packets leaving through the loopback. */
export function lossRuleArgs(percent: number): string[] {
  return [
    '-o',
    'lo',
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

  /** Creates the namespace, brings its loopback up with a 1500-byte MTU (like a real link). */
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
      await ns.exec('ip', ['link', 'set', 'lo', 'mtu', '1500']);
      await ns.exec('ip', ['link', 'set', 'lo', 'up']);
    } catch (error) {
      await ns[Symbol.asyncDispose]();
      throw error;
    }
    return ns;
  }

  #lossPercent = 0;

  /** Applies (or changes) the link shape at once. */
  async shape(shape: LinkShape): Promise<void> {
    await this.exec('tc', ['qdisc', 'replace', 'dev', 'lo', 'root', ...tbfArgs(shape)]);
    const loss = shape.lossPercent ?? 0;
    if (loss !== this.#lossPercent) {
      await this.exec('iptables', ['-F', 'OUTPUT']);
      if (loss > 0) await this.exec('iptables', ['-A', 'OUTPUT', ...lossRuleArgs(loss)]);
      this.#lossPercent = loss;
    }
  }

  /** Removes shaping: the loopback runs at full speed, without loss. */
  async unshape(): Promise<void> {
    await this.exec('tc', ['qdisc', 'del', 'dev', 'lo', 'root']).catch(() => undefined);
    await this.exec('iptables', ['-F', 'OUTPUT']).catch(() => undefined);
    this.#lossPercent = 0;
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
