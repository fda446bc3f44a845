import { max, min } from './fast-globals.js';
/**
 * Lifeguard local health (Dadgar et al. 2018, "Local Health Awareness"). A node that misses acks
 * it should have seen, gets no nacks from indirect probers, is accused itself, or has a starved
 * event loop is more likely the slow party than its peers. Its score stretches its own probe interval
 * and timeout, so it accuses others less eagerly while it is unhealthy.
 */
export class Awareness {
  private score = 0;

  /** @param max the multiplier ceiling (`awarenessMaxMultiplier`); the score ranges over [0, max - 1]. */
  constructor(private readonly max: number) {}

  /** Adds `delta` (negative on good evidence), clamped to the valid range. */
  applyDelta(delta: number): void {
    this.score = min(this.max - 1, max(0, this.score + delta));
  }

  /** Current health score: 0 is healthy; higher means our own timeouts are being stretched. */
  getScore(): number {
    return this.score;
  }

  /** `timeoutMs` stretched by the current score. */
  scale(timeoutMs: number): number {
    return timeoutMs * (this.score + 1);
  }
}
