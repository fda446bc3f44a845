/**
 * A Jepsen-style harness for QuorumKV: real `quorumkv-server` processes behind fault proxies, a
 * seeded nemesis (kill -9, SIGSTOP, partitions, slow links, LWW clock skew, nodes joining and
 * leaving), clients on the SDK recording a history, and checkers that judge it. `npm run jepsen` is its command line.
 *
 * @packageDocumentation
 */
export { runJepsen, type JepsenOptions, type JepsenResult } from './jepsen-run.js';
export { runCrashCycles, type CrashCycleOptions, type CrashCycleResult } from './crash-cycles.js';
export { checkSet, checkLwwSet, decodeSet, encodeSet } from './checkers/set-checker.js';
export { checkRegister } from './checkers/register-checker.js';
export { checkSessions } from './checkers/session-checker.js';
export { verdictLine, type CheckResult, type FinalState, type Verdict } from './checkers/check-result.js';
export { awaitConvergence, type BucketKey, type ConvergenceOptions, type ConvergenceResult } from './convergence.js';
export { toEvents, type HistoryEvent, type Operation, type Outcome, type Workload } from './history.js';
export { planNemesis, partitionLinks, describeWindow, NEMESIS_KINDS, type FaultWindow, type Link, type NemesisKind, type NemesisPlanOptions, type PartitionShape } from './nemesis-schedule.js';
export { Nemesis, type AppliedWindow } from './nemesis.js';
export { describeUnsettled, membershipVerdictLine, type MembershipOutcome, type NodeMembershipView } from './membership-diagnosis.js';
export { timelineSvg, type TimelineBand, type TimelineOptions } from './timeline-svg.js';
export { writeReport, verdictLines } from './report.js';
