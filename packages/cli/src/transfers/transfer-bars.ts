// The live view of `cluster transfers`: one progress bar per transfer (cli-progress draws and
// redraws them in place on a terminal; piped, each refresh is printed as a frame of its own).
import cliProgress from 'cli-progress';
import { transferDetail, transferLabel, reportHeadline, type TransferReport, type TransferRow } from './transfer-report.js';

/** Where the bars go: a terminal (redrawn in place) or anything else (one frame per refresh). */
export interface BarStream {
  write(chunk: string): boolean;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

interface Shown {
  readonly bar: cliProgress.SingleBar;
  row: TransferRow;
}

const BAR_SIZE = 24;

/** Bars kept in step with successive reports: new transfers get a bar, finished ones lose it. */
export class TransferBars {
  private readonly multi: cliProgress.MultiBar;
  private readonly shown = new Map<string, Shown>();
  private headline: cliProgress.SingleBar | undefined;

  constructor(stream: BarStream) {
    this.multi = new cliProgress.MultiBar(
      {
        stream: stream as NodeJS.WritableStream,
        format: (options, params, payload: { row?: TransferRow; text?: string }) => {
          if (payload.text !== undefined) return payload.text;
          const row = payload.row!;
          const bar = cliProgress.Format.BarFormat(params.progress, options);
          const pct = `${Math.floor(params.progress * 100)}%`.padStart(4);
          return `${transferLabel(row).padEnd(16)} ${bar} ${pct}  ${transferDetail(row)}`;
        },
        barsize: BAR_SIZE,
        hideCursor: false,
        // On a terminal the last frame stays; piped, it was printed already (stop would repeat it).
        clearOnComplete: stream.isTTY !== true,
        stopOnComplete: false,
        emptyOnZero: true,
        linewrap: true,
        gracefulExit: false,
        // Piped output gets a frame per report (drawn by show()), never one from a timer.
        noTTYOutput: true,
        notTTYSchedule: 2 ** 31 - 1,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  /** Draws `report`: the headline, then a bar per transfer, in the report's order. */
  show(report: TransferReport): void {
    const text = reportHeadline(report);
    if (this.headline === undefined) this.headline = this.multi.create(1, 0, { text });
    else this.headline.update(0, { text });
    const keys = new Set(report.transfers.map(keyOf));
    for (const [key, s] of this.shown) {
      if (keys.has(key)) continue;
      this.multi.remove(s.bar);
      this.shown.delete(key);
    }
    for (const row of report.transfers) {
      const key = keyOf(row);
      const total = Math.max(1, row.keysTotal);
      const value = Math.min(row.keysDone, total);
      const s = this.shown.get(key);
      if (s === undefined) this.shown.set(key, { bar: this.multi.create(total, value, { row }), row });
      else {
        s.row = row;
        s.bar.setTotal(total);
        s.bar.update(value, { row });
      }
    }
    this.multi.update();
  }

  /** Leaves the last frame on screen and stops redrawing. */
  stop(): void {
    this.multi.stop();
  }
}

function keyOf(r: TransferRow): string {
  return `${r.partition}>${r.to}`;
}
