// CPU time and bytes written by a process, from Linux's /proc/<pid>/stat and /proc/<pid>/io:
// what each validator spends per committed transaction during the throughput burst. Linux
// only (the project's machines); elsewhere the sample is undefined and the figures say so.
import { readFileSync } from 'node:fs';

export interface ProcUsage {
  /** user + system CPU time, ms */
  cpuMs: number;
  /** bytes passed to write-like syscalls: sockets (libp2p, HTTP answers), pipes (logs) and files */
  writeCallBytes: number;
  /** bytes passed to read-like syscalls: sockets, pipes and files */
  readCallBytes: number;
  /** bytes this process caused to be written to storage (LevelDB, sign record) */
  storageWriteBytes: number;
}

/** Clock ticks per second of /proc/<pid>/stat: 100 on Linux x86-64 and arm64. */
const CLOCK_TICKS_PER_SEC = 100;

export function procUsage(pid: number | undefined): ProcUsage | undefined {
  if (pid === undefined || process.platform !== 'linux') return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at state, field 3.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(rest[14 - 3]);
    const stime = Number(rest[15 - 3]);
    const io = Object.fromEntries(
      readFileSync(`/proc/${pid}/io`, 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(': '))
        .map(([k, v]) => [k, Number(v)]),
    );
    return { cpuMs: ((utime + stime) * 1000) / CLOCK_TICKS_PER_SEC, writeCallBytes: io.wchar, readCallBytes: io.rchar, storageWriteBytes: io.write_bytes };
  } catch {
    return undefined;
  }
}

/** after − before, per committed transaction. */
export function usagePerTx(before: ProcUsage | undefined, after: ProcUsage | undefined, txs: number): ProcUsage | undefined {
  if (!before || !after || txs <= 0) return undefined;
  return {
    cpuMs: (after.cpuMs - before.cpuMs) / txs,
    writeCallBytes: (after.writeCallBytes - before.writeCallBytes) / txs,
    readCallBytes: (after.readCallBytes - before.readCallBytes) / txs,
    storageWriteBytes: (after.storageWriteBytes - before.storageWriteBytes) / txs,
  };
}

/** The whole machine's CPU time since boot, ms, summed over cores: busy and idle (from /proc/stat). */
export interface MachineCpu {
  busyMs: number;
  idleMs: number;
}

export function machineCpu(): MachineCpu | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    // "cpu  user nice system idle iowait irq softirq steal ...", in clock ticks.
    const [user, nice, system, idle, iowait, irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const tick = 1000 / CLOCK_TICKS_PER_SEC;
    return { busyMs: (user + nice + system + irq + softirq + steal) * tick, idleMs: (idle + iowait) * tick };
  } catch {
    return undefined;
  }
}
