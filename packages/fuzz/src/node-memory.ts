// A node's resident memory, read from /proc (Linux): anonymous pages (heap, buffers: where a leak
// shows) apart from file pages (LMDB's memory-mapped data file, which grows with what is stored
// and which the kernel may drop at will).
import { readFileSync } from 'node:fs';

/** Resident memory of a process, in bytes. */
export interface MemorySample {
  readonly rss: number;
  readonly anon: number;
  readonly file: number;
}

export function memoryOf(pid: number): MemorySample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: kib('VmRSS'), anon: kib('RssAnon'), file: kib('RssFile') + kib('RssShmem') };
}
