/**
 * CPU time of a process and its descendants, from Linux's /proc (for benchmarks: where the time
 * goes between the server and the browser). Returns `undefined` where /proc is not available.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  /** User plus system time, milliseconds. */
  readonly cpuMs: number;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(fields[1]);
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    if (!Number.isFinite(ppid) || !Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
    return { pid, ppid, cpuMs: ((utime + stime) * 1000) / TICKS_PER_SECOND };
  } catch {
    return undefined;
  }
}

/** CPU milliseconds used so far by `rootPid` and every live descendant, or `undefined`. */
export function processTreeCpuMs(rootPid: number): number | undefined {
  let pids: number[];
  try {
    pids = readdirSync('/proc')
      .filter((n) => /^\d+$/.test(n))
      .map(Number);
  } catch {
    return undefined;
  }
  const stats = pids.map(readStat).filter((s): s is ProcStat => s !== undefined);
  const children = new Map<number, ProcStat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const root = stats.find((s) => s.pid === rootPid);
  if (root === undefined) return undefined;
  let total = 0;
  const todo = [root];
  while (todo.length > 0) {
    const s = todo.pop()!;
    total += s.cpuMs;
    todo.push(...(children.get(s.pid) ?? []));
  }
  return total;
}
