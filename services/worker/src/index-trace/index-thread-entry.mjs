// Entry of the indexing thread: a worker thread does not inherit the main thread's TypeScript
// loader (`node --import tsx`, vitest), so it registers tsx for itself before loading the pass.
const { register } = await import("tsx/esm/api");
register();
await import("./index-thread-worker.ts");
