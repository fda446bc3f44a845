// The simulation's only source of randomness: the harness's seeded xoroshiro128+ (one copy, shared
// with the Jepsen-style runs). Each concern (schedule, network, node decisions) takes its own fork,
// so drawing more numbers for one of them does not shift the others.
export { SeededRandom as SimRandom } from '@quorumkv/harness';
