// Optional CPU profiling of a running node (QKV_CPU_PROFILE=path): the V8 profiler runs from start
// to a clean stop and the profile is written as a .cpuprofile for Chrome DevTools. NODE_OPTIONS
// cannot carry --cpu-prof, so this is how benchmarks and operators profile real nodes.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

/** Starts profiling; returns a function that stops and writes the profile. */
export function startCpuProfile(path: string): () => Promise<void> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object): Promise<unknown> =>
    new Promise((resolve, reject) => session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result))));
  const started = post('Profiler.enable').then(() => post('Profiler.setSamplingInterval', { interval: 200 })).then(() => post('Profiler.start'));
  return async () => {
    await started;
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    writeFileSync(path, JSON.stringify(profile));
    session.disconnect();
  };
}
