import { GossipConfigError } from './errors.js';

/**
 * Tuning of one gossip node. Every duration is in milliseconds of the injected clock. Defaults
 * ({@link DEFAULT_GOSSIP_CONFIG}) follow memberlist's LAN profile, which suits a datacenter cluster.
 */
export interface GossipConfig {
  /** Protocol period: one member is probed per period (stretched by local health). Default 1000. */
  probeIntervalMs: number;
  /** Wait for a direct ack before asking others to probe indirectly (stretched by local health). Must be < probeIntervalMs. Default 500. */
  probeTimeoutMs: number;
  /** Members asked to probe indirectly (ping-req) when a direct ping is not acked. Default 3. */
  indirectChecks: number;
  /** Suspicion timeout = suspicionMultiplier × max(1, log10(n)) × probeIntervalMs at its shortest. Default 4. */
  suspicionMultiplier: number;
  /** A suspicion without independent confirmations lasts this many times its shortest timeout. Default 6. */
  suspicionMaxTimeoutMult: number;
  /** A piggybacked update is sent retransmitMultiplier × ceil(log10(n + 1)) times. Default 4. */
  retransmitMultiplier: number;
  /** Interval of gossip rounds that push pending updates to `gossipNodes` random members. Default 200. */
  gossipIntervalMs: number;
  /** Members contacted per gossip round. Default 3. */
  gossipNodes: number;
  /** Dead members keep receiving gossip this long, so a falsely accused node hears it and refutes. Default 30000. */
  gossipToTheDeadMs: number;
  /** Full-state exchange with a random member; scaled up for clusters above 32 members. 0 disables. Default 15000. */
  pushPullIntervalMs: number;
  /** Interval of attempts to push-pull with a random dead member, so healed partitions rediscover each other. 0 disables. Default 5000. */
  reconnectIntervalMs: number;
  /** While no other member is known alive, join requests are re-sent to the seeds this often. Default 1000. */
  joinRetryIntervalMs: number;
  /** Upper bound of the Lifeguard local-health multiplier applied to probe interval and timeout. 1 disables. Default 8. */
  awarenessMaxMultiplier: number;
  /** Dead and left members are forgotten after this long (until then they are reconnect targets and tombstones). Default 86400000. */
  deadRetentionMs: number;
  /** Byte budget of piggybacked updates per message. Default 1200. */
  maxPiggybackBytes: number;
  /** A due deadline handled more than this late means our event loop was starved: the probe is abandoned without accusing anyone. Default 250. */
  stallDetectionMs: number;
}

/** The defaults, documented field by field on {@link GossipConfig}. */
export const DEFAULT_GOSSIP_CONFIG: Readonly<GossipConfig> = Object.freeze({
  probeIntervalMs: 1000,
  probeTimeoutMs: 500,
  indirectChecks: 3,
  suspicionMultiplier: 4,
  suspicionMaxTimeoutMult: 6,
  retransmitMultiplier: 4,
  gossipIntervalMs: 200,
  gossipNodes: 3,
  gossipToTheDeadMs: 30_000,
  pushPullIntervalMs: 15_000,
  reconnectIntervalMs: 5_000,
  joinRetryIntervalMs: 1_000,
  awarenessMaxMultiplier: 8,
  deadRetentionMs: 86_400_000,
  maxPiggybackBytes: 1200,
  stallDetectionMs: 250,
});

type Rule = { min: number; integer: boolean };

// Lower bounds are the smallest values with a meaning; upper bounds are left to the operator.
const RULES: Record<keyof GossipConfig, Rule> = {
  probeIntervalMs: { min: 1, integer: false },
  probeTimeoutMs: { min: 1, integer: false },
  indirectChecks: { min: 0, integer: true },
  suspicionMultiplier: { min: 1, integer: false },
  suspicionMaxTimeoutMult: { min: 1, integer: false },
  retransmitMultiplier: { min: 1, integer: true },
  gossipIntervalMs: { min: 1, integer: false },
  gossipNodes: { min: 1, integer: true },
  gossipToTheDeadMs: { min: 0, integer: false },
  pushPullIntervalMs: { min: 0, integer: false },
  reconnectIntervalMs: { min: 0, integer: false },
  joinRetryIntervalMs: { min: 1, integer: false },
  awarenessMaxMultiplier: { min: 1, integer: true },
  deadRetentionMs: { min: 0, integer: false },
  maxPiggybackBytes: { min: 64, integer: true },
  stallDetectionMs: { min: 1, integer: false },
};

/**
 * Merges `partial` over the defaults and validates the result once, so the protocol code can
 * trust every field. Throws {@link GossipConfigError} naming the first bad field.
 */
export function resolveConfig(partial: Partial<GossipConfig> = {}): GossipConfig {
  const config: GossipConfig = { ...DEFAULT_GOSSIP_CONFIG };
  for (const [key, value] of Object.entries(partial)) {
    if (!(key in RULES)) throw new GossipConfigError(key, value, 'unknown field');
    if (value !== undefined) (config as unknown as Record<string, unknown>)[key] = value;
  }
  for (const key of Object.keys(RULES) as (keyof GossipConfig)[]) {
    const value = config[key];
    const rule = RULES[key];
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new GossipConfigError(key, value, 'must be a finite number');
    if (rule.integer && !Number.isInteger(value)) throw new GossipConfigError(key, value, 'must be an integer');
    if (value < rule.min) throw new GossipConfigError(key, value, `must be >= ${rule.min}`);
  }
  if (config.probeTimeoutMs >= config.probeIntervalMs) {
    throw new GossipConfigError('probeTimeoutMs', config.probeTimeoutMs, 'must be < probeIntervalMs, leaving time for indirect probes');
  }
  return config;
}
