/**
 * Node-only atomic replacement of output files and directories. New content is written completely
 * under a temporary name beside the target (same directory, so the rename stays on one file
 * system), flushed to disk, then renamed into place:
 *
 * - a file: one rename(2) over the old file, so the path always holds the complete old or new file;
 * - a directory: rename the old one aside (the "backup"), rename the new one in, delete the backup.
 *   POSIX has no portable atomic exchange of two directories, so between those two back-to-back
 *   renames the path is briefly missing. If the process dies exactly there, the backup survives
 *   and the next writer of that path restores it before doing anything else.
 *
 * Temporary names carry the writer's pid (`<name>.sngp-tmp-<pid>-<random>`, backups
 * `<name>.sngp-old-<pid>-<random>`), so leftovers of a killed run (SIGKILL cannot be caught) are
 * told apart from those of a writer that is still running, and cleaned by the next write.
 */
import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { SngpError } from './errors.js';
import { type OutputKind, checkOutputPath } from './output-path.js';
import { trackTemp, untrackTemp } from './temp-registry.js';

const TMP_TAG = 'sngp-tmp';
const OLD_TAG = 'sngp-old';

function uniqueName(target: string, tag: string): string {
  return `${target}.${tag}-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}

/**
 * A temporary name beside `target` for new content (removed or renamed into place by the writer):
 * `<target>.sngp-tmp-<pid>-<random>`, which {@link recoverInterruptedWrite} cleans up once the
 * process that made it is gone.
 * @param target - the final path.
 * @returns a fresh path in the same directory.
 */
export function tempPathFor(target: string): string {
  return uniqueName(target, TMP_TAG);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** What an interrupted earlier write left beside `target` (see {@link recoverInterruptedWrite}). */
export interface Recovery {
  /** The backup renamed back to the target path (the target was missing), or null. */
  restored: string | null;
  /** Temporary files and stale backups of dead writers that were deleted. */
  removed: string[];
}

/**
 * Repair what a killed writer of `target` left behind: if `target` is missing but a backup of it
 * from a dead writer exists (killed between the two renames of a directory swap), rename it back;
 * then delete the dead writers' temporary files and stale backups. Leftovers of writers that are
 * still running are not touched. Called by every writer before it writes.
 * @param path - the output path (`target`); relative paths resolve against the current directory.
 * @returns what was restored and removed (nothing if the directory cannot be read).
 */
export function recoverInterruptedWrite(path: string): Recovery {
  const target = resolve(path);
  const dir = dirname(target);
  const pattern = new RegExp(`^${escapeRegExp(basename(target))}\\.(${TMP_TAG}|${OLD_TAG})-(\\d+)-[a-z0-9]+$`);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return { restored: null, removed: [] };
  }
  const dead: { path: string; tag: string; ctimeMs: number }[] = [];
  for (const name of names) {
    const m = pattern.exec(name);
    if (!m || pidAlive(Number(m[2]))) continue;
    const p = join(dir, name);
    try {
      dead.push({ path: p, tag: m[1], ctimeMs: lstatSync(p).ctimeMs });
    } catch {
      // removed meanwhile
    }
  }
  let restored: string | null = null;
  if (!exists(target)) {
    // The most recent backup is the last complete output at this path.
    const backups = dead.filter((d) => d.tag === OLD_TAG).sort((a, b) => b.ctimeMs - a.ctimeMs);
    if (backups.length > 0) {
      renameSync(backups[0].path, target);
      restored = backups[0].path;
    }
  }
  const removed: string[] = [];
  for (const d of dead) {
    if (d.path === restored) continue;
    rmSync(d.path, { recursive: true, force: true });
    removed.push(d.path);
  }
  return { restored, removed };
}

/**
 * Write `data` to a new file and flush it to disk (fails if `path` exists). Use it inside
 * {@link writeDirectoryAtomic}'s `fill`.
 * @param path - the new file.
 * @param data - the contents; a string is written as UTF-8.
 * @throws Error from node:fs (e.g. EEXIST if `path` exists, ENOSPC).
 */
export function writeFileDurable(path: string, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const fd = openSync(path, 'wx');
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Flush a directory's entries (renames) to disk; best effort (not every file system allows it). */
function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // e.g. EISDIR/EINVAL on some platforms: the rename is still atomic, only its durability is weaker
  }
}

/** Options of the atomic writers. */
export interface AtomicWriteOptions {
  /**
   * Only replace an existing output of this kind (checked right before writing; see
   * `checkOutputPath`). Without it whatever is at the path is replaced (a file by a file).
   */
  kind?: OutputKind;
  /** With `kind`: replace an existing output even if it is not of that kind. */
  force?: boolean;
}

function checkBeforeWrite(target: string, opts: AtomicWriteOptions): void {
  if (opts.kind) checkOutputPath(target, opts.kind, { force: opts.force, flag: '', probe: false });
}

/** The common start of an atomic write: recover a killed run's state, check, make the parent, register a temp path. */
function beginWrite(path: string, opts: AtomicWriteOptions): { target: string; tmp: string } {
  const target = resolve(path);
  recoverInterruptedWrite(target);
  checkBeforeWrite(target, opts);
  mkdirSync(dirname(target), { recursive: true });
  const tmp = tempPathFor(target);
  trackTemp(tmp);
  return { target, tmp };
}

/**
 * Write a file atomically: a complete temporary file beside it, flushed, then renamed over it. The
 * path holds either the complete old file or the complete new one, whatever happens; the temporary
 * file is removed on error and on SIGINT/SIGTERM. Missing parent directories are created.
 * @param path - the file to write.
 * @param data - the contents; a string is written as UTF-8.
 * @param opts - `kind` to replace only an output of that kind, `force` to override it.
 * @throws SngpError if `opts.kind` is set and `path` holds something else (see `checkOutputPath`);
 *   Error from node:fs if the write itself fails.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): void {
  const { target, tmp } = beginWrite(path, opts);
  try {
    writeFileDurable(tmp, data);
    renameSync(tmp, target);
    syncDir(dirname(target));
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  } finally {
    untrackTemp(tmp);
  }
}

/**
 * Put the complete directory `tmp` at `target`, replacing what is there: rename the old one aside,
 * rename the new one in (back to back: everything slow is done before), then delete the old one.
 * If the second rename fails the old one is renamed back.
 */
function swapIn(tmp: string, target: string): void {
  let backup: string | null = null;
  if (exists(target)) {
    backup = uniqueName(target, OLD_TAG);
    renameSync(target, backup);
  }
  try {
    renameSync(tmp, target);
  } catch (e) {
    if (backup) {
      try {
        renameSync(backup, target);
      } catch {
        throw new SngpError(`${target}: could not write it (${(e as Error).message}) nor put the previous one back; it is at ${backup}`);
      }
    }
    throw e;
  }
  syncDir(dirname(target));
  if (backup) {
    try {
      rmSync(backup, { recursive: true, force: true });
    } catch {
      // The new output is in place; the next writer of this path deletes the stale backup.
    }
  }
}

/**
 * Write a directory atomically: `fill` writes the complete contents into a fresh temporary
 * directory beside `path` (synchronously; use {@link writeFileDurable}), which then replaces the
 * old one. Between the two renames of the swap the path is briefly missing; if the process dies
 * exactly there, the next write (or {@link recoverInterruptedWrite}) restores the old one.
 * On any error the old directory stays as it was and the temporary one is removed.
 * @param path - the directory to write.
 * @param fill - writes the contents into the directory it is given; whatever it throws is rethrown.
 * @param opts - `kind` to replace only an output of that kind, `force` to override it.
 * @throws SngpError if `opts.kind` is set and `path` holds something else (see `checkOutputPath`),
 *   or if the swap fails and the old directory cannot be put back (the message says where it is).
 */
export function writeDirectoryAtomic(path: string, fill: (dir: string) => void, opts: AtomicWriteOptions = {}): void {
  const { target, tmp } = beginWrite(path, opts);
  try {
    mkdirSync(tmp);
    fill(tmp);
    syncDir(tmp);
    swapIn(tmp, target);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    untrackTemp(tmp);
  }
}
