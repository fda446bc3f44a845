import { createMemoryEngine } from './memory-engine.js';
import { defineEngineContract } from './test-support/engine-contract.js';

defineEngineContract('memory engine', async (options) => {
  const engine = createMemoryEngine(options);
  return { engine, cleanup: () => engine.close() };
});
