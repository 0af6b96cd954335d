// One writer process per log: an exclusive lock file holding the writer's pid. A second
// writer is refused naming the holder; a lock left by a dead process (kill -9) is taken over.
// Node-side.
import { closeSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync, fsyncSync } from 'node:fs';
import { join } from 'node:path';

export const LOCK_FILE = 'writer.lock';

export class LogLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(`the OAR record in ${dir} is held by writer process ${pid}; one writer per log (stop that process, or read the record without writing)`);
    this.name = 'LogLockedError';
  }
}

export interface LogLock {
  readonly path: string;
  release(): void;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the lock or throws LogLockedError. The lock file appears atomically complete: it is
 * written under a private name and hard-linked into place, and link() fails if a lock exists.
 * A stale lock is first renamed aside (only one contender's rename can move a given file) and
 * put back if it turns out to belong to a live process after all.
 */
export function acquireLock(dir: string): LogLock {
  const path = join(dir, LOCK_FILE);
  const mine = join(dir, `.${LOCK_FILE}.${process.pid}`);
  const fd = openSync(mine, 'w', 0o644);
  try {
    writeSync(fd, `${process.pid}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(mine, path);
        return {
          path,
          release: () => {
            if (readPid(path) === process.pid) unlinkSync(path);
          },
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = readPid(path);
      if (holder !== undefined && isAlive(holder) && holder !== process.pid) throw new LogLockedError(dir, holder);
      if (holder === process.pid) throw new Error(`the OAR record in ${dir} is already open for writing in this process`);
      // Stale (its process is gone) or unreadable (a half-written lock from an older build): move it aside.
      const aside = join(dir, `.${LOCK_FILE}.stale.${process.pid}`);
      try {
        renameSync(path, aside);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // someone else moved it
        throw err;
      }
      const moved = readPid(aside);
      if (moved !== undefined && moved !== holder && isAlive(moved)) {
        // We raced with a contender that had just taken the lock: give it back.
        renameSync(aside, path);
        throw new LogLockedError(dir, moved);
      }
      unlinkSync(aside);
    }
    throw new Error(`could not take the lock ${path} after 5 attempts (other writers are contending)`);
  } finally {
    unlinkSync(mine);
  }
}
