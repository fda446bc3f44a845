import type { HandoffInfo } from '@quorumkv/client/node';
import { TransferBars } from './transfer-bars.js';
import { formatBytes, formatSeconds, transferReport, transferRow } from './transfer-report.js';

const MiB = 1024 * 1024;

function handoff(over: Partial<HandoffInfo>): HandoffInfo {
  return { partition: 7, fromNode: 'n1', toNode: 'n4', sent: 0, total: 1000, bytesSent: 0, bytesTotal: 4 * MiB, state: 'active', elapsedMs: 0, error: '', retryInMs: 0, ...over };
}

/** A stream that keeps what is written; a terminal when `tty`. */
function stream(tty: boolean): { isTTY: boolean; columns: number; chunks: string[]; write(c: string): boolean; text(): string } {
  return {
    isTTY: tty,
    columns: 160,
    chunks: [],
    write(c: string) {
      this.chunks.push(c);
      return true;
    },
    text() {
      return this.chunks.join('');
    },
  };
}

// eslint-disable-next-line no-control-regex
const plain = (s: string): string => s.replace(/\x1B(\[[0-9;?]*[A-Za-z]|[78])/g, '');

describe('transfer rows', () => {
  it('derive rate from bytes over time and ETA from the records left at the pace so far', () => {
    const row = transferRow(handoff({ sent: 250, bytesSent: MiB, elapsedMs: 2000 }));
    expect(row).toMatchObject({ keysDone: 250, keysTotal: 1000, bytesPerSecond: MiB / 2, etaSeconds: 6 });
    expect(transferRow(handoff({ state: 'queued' }))).not.toHaveProperty('etaSeconds');
    expect([formatBytes(512), formatBytes(1536), formatBytes(20 * MiB)]).toEqual(['512 B', '1.5 KiB', '20.0 MiB']);
    expect([formatSeconds(42), formatSeconds(185), formatSeconds(3720)]).toEqual(['42s', '3m05s', '1h02m']);
  });
});

describe('transfer bars', () => {
  it('redraws a bar per transfer in place on a terminal, with keys, bytes, rate, ETA and why one retries', () => {
    const out = stream(true);
    const bars = new TransferBars(out);
    const transition = { since: 5, pendingPartitions: 2, transfersLeft: 2, remaining: [] };
    bars.show(
      transferReport({
        ringVersion: 6,
        transition,
        handoffs: [handoff({ sent: 250, bytesSent: MiB, elapsedMs: 2000 }), handoff({ partition: 9, toNode: 'n5', state: 'retrying', error: 'n5 unavailable: connect ECONNREFUSED', retryInMs: 4000 })],
        unreachable: [],
      }),
    );
    const first = plain(out.text());
    expect(first).toContain('ring version 6: change since version 5, 2 partitions pending, 2 copies left (1 active, 1 waiting)');
    expect(first).toMatch(/p7 n1->n4\s+█{6}░{18}\s+25%\s+250\/1000 keys\s+1\.0 MiB\/4\.0 MiB\s+512\.0 KiB\/s\s+ETA 6s/);
    expect(first).toMatch(/p9 n1->n5\s+░{24}\s+0%\s+0\/1000 keys\s+retrying in 4s: n5 unavailable: connect ECONNREFUSED/);
    // A terminal frame moves the cursor back up to redraw, rather than scrolling.
    out.chunks.length = 0;
    bars.show(transferReport({ ringVersion: 7, transition: { ...transition, pendingPartitions: 1, transfersLeft: 1 }, handoffs: [handoff({ sent: 750, bytesSent: 3 * MiB, elapsedMs: 6000 })], unreachable: ['n3'] }));
    const second = out.text();
    // eslint-disable-next-line no-control-regex
    expect(second).toMatch(/\x1B\[\d*[AF]|\x1B8|\x1B\[0G/);
    expect(plain(second)).toMatch(/p7 n1->n4\s+█{18}░{6}\s+75%\s+750\/1000 keys\s+3\.0 MiB\/4\.0 MiB\s+512\.0 KiB\/s\s+ETA 2s/);
    expect(plain(second)).not.toContain('p9 n1->n5');
    expect(plain(second)).toContain('not answering: n3');
    bars.stop();
  });

  it('prints each refresh as a frame of its own when piped', () => {
    const out = stream(false);
    const bars = new TransferBars(out);
    for (const sent of [100, 600, 1000]) {
      bars.show(transferReport({ ringVersion: 6, transition: { since: 5, pendingPartitions: 1, transfersLeft: 1, remaining: [] }, handoffs: [handoff({ sent, bytesSent: sent * 100, elapsedMs: sent })], unreachable: [] }));
    }
    bars.show(transferReport({ ringVersion: 8, handoffs: [], unreachable: [] }));
    bars.stop();
    const frames = out.text().split(/\n\s*\n/).map((f) => f.trim()).filter((f) => f.length > 0);
    const percents = frames.flatMap((f) => [...f.matchAll(/p7 n1->n4\s+\S+\s+(\d+)%/g)].map((m) => Number(m[1])));
    expect(percents.slice(0, 3)).toEqual([10, 60, 100]);
    expect(out.text()).not.toContain('\x1B');
    expect(frames.some((f) => f.includes('ring version 8: no change in progress'))).toBe(true);
  });
});
