import { createHash } from "node:crypto";
import { existsSync, renameSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { IngestError, type IngestErrorCode } from "../ingest/errors";
import type { PassResult } from "./index-pass";
import {
  type FromThread,
  IN_FLIGHT_BYTES,
  type ThreadPassOptions,
  type ToThread,
} from "./index-thread-protocol";
import { RegisterStats } from "./register-stats";

// Why a thread: on two cores, `xz -dc` takes one and the pass (parse, event store, statistics,
// checkpoints) needs about 1.5 times xz's CPU per byte. On the main thread the pass also starves
// the reading of xz's pipe; on its own thread it runs beside xz, while the main thread only moves
// bytes (pipe -> thread, thread -> blob storage).

const WORKER_SOURCE = fileURLToPath(new URL("./index-thread-worker.ts", import.meta.url));
/** Runs the thread's TypeScript through tsx: the fallback when esbuild is missing. */
const TSX_ENTRY = new URL("./index-thread-entry.mjs", import.meta.url);
let entry: Promise<URL> | undefined;

/**
 * The thread's code bundled into one plain ES module (esbuild, ~0.1 s once per process), written
 * to the temporary directory under its content hash. Running the TypeScript through tsx instead
 * costs the thread ~35 MB more (a loader thread of its own and its caches); the worker's peak RSS
 * has a budget. Each module keeps its own `import.meta.url` (the rnndb package finds its built-in
 * databases relative to it).
 */
function threadEntry(): Promise<URL> {
  entry ??= (async () => {
    try {
      const esbuild = createRequire(import.meta.url)("esbuild") as typeof import("esbuild");
      const keepMetaUrl: import("esbuild").Plugin = {
        name: "keep-import-meta-url",
        setup(build) {
          build.onLoad({ filter: /\.[cm]?[jt]s$/ }, async (args) => {
            const text = await readFile(args.path, "utf8");
            const url = JSON.stringify(pathToFileURL(args.path).href);
            return {
              contents: text.replaceAll("import.meta.url", url),
              loader: args.path.endsWith("ts") ? "ts" : "js",
              resolveDir: dirname(args.path),
            };
          });
        },
      };
      const result = await esbuild.build({
        entryPoints: [WORKER_SOURCE],
        bundle: true,
        platform: "node",
        format: "esm",
        target: "node20",
        write: false,
        logLevel: "silent",
        plugins: [keepMetaUrl],
        // bundled CommonJS code may require() Node's modules
        banner: {
          js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);',
        },
      });
      const out = result.outputFiles[0]!.contents;
      const hash = createHash("sha256").update(out).digest("hex").slice(0, 16);
      const file = join(tmpdir(), `mmiohub-index-thread-${hash}.mjs`);
      if (!existsSync(file)) {
        const tmp = `${file}.${process.pid}.tmp`;
        writeFileSync(tmp, out);
        renameSync(tmp, file);
      }
      return pathToFileURL(file);
    } catch {
      return TSX_ENTRY;
    }
  })();
  return entry;
}

/** Text is sent to the thread in pieces of this size (fewer, larger messages). */
const SLICE_BYTES = 1 << 20;

let enabled = true;
/** Whether ingest runs the pass on the indexing thread (the default); off: on the calling thread. */
export function indexThreadEnabled(): boolean {
  return enabled;
}
/** For benchmarks comparing both ways. */
export function setIndexThreadEnabled(on: boolean): void {
  enabled = on;
}

/** One idle thread is kept (its rnndb stays opened); more are made when passes overlap. */
let idle: Worker | undefined;

async function takeThread(): Promise<Worker> {
  const w = idle;
  idle = undefined;
  if (w) {
    w.ref();
    return w;
  }
  return new Worker(await threadEntry(), { resourceLimits: { maxYoungGenerationSizeMb: 8 } });
}

function giveBack(w: Worker): void {
  w.removeAllListeners("message");
  w.removeAllListeners("error");
  w.removeAllListeners("exit");
  if (idle) {
    void w.terminate();
    return;
  }
  w.unref();
  w.on("error", () => {});
  w.on("exit", () => {
    if (idle === w) idle = undefined;
  });
  idle = w;
}

/** Ends the idle indexing thread (at shutdown; tests). */
export async function closeIndexThreads(): Promise<void> {
  const w = idle;
  idle = undefined;
  await w?.terminate();
}

function fromThreadError(m: Extract<FromThread, { t: "error" }>): Error {
  if (m.ingest && m.code) return new IngestError(m.code as IngestErrorCode, m.message);
  const err = new Error(m.message);
  if (m.stack) err.stack = m.stack;
  return err;
}

/**
 * Runs index-pass.ts on the indexing thread: feeds it `source` (copied into 1 MiB transferable
 * pieces, at most IN_FLIGHT_BYTES ahead of the parser), hands the event-store bytes it sends to
 * `emit` in order. Resolves with the pass's result; a failing pass or source rejects, and the
 * thread is then ended rather than reused.
 */
export async function runPassInThread(
  source: AsyncIterable<Uint8Array>,
  options: ThreadPassOptions,
  emit: (chunks: Uint8Array[]) => Promise<void>,
): Promise<PassResult & { rnndbError: string | null }> {
  const thread = await takeThread();
  const send = (m: ToThread, transfer: ArrayBuffer[] = []) => thread.postMessage(m, transfer);
  let settled = false;
  let inFlight = 0;
  let wakeFeeder: (() => void) | undefined;
  const nudge = () => {
    const w = wakeFeeder;
    wakeFeeder = undefined;
    w?.();
  };
  return new Promise((resolve, reject) => {
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      nudge();
      thread.removeAllListeners();
      thread.on("error", () => {});
      void thread.terminate();
      reject(err);
    };
    // Event-store chunks are written one message after the other, in order.
    let writing: Promise<void> = Promise.resolve();
    thread.on("message", (m: FromThread) => {
      if (settled) return;
      switch (m.t) {
        case "taken":
          inFlight -= m.bytes;
          if (inFlight <= IN_FLIGHT_BYTES) nudge();
          break;
        case "out": {
          const bytes = m.chunks.reduce((n, c) => n + c.length, 0);
          writing = writing.then(async () => {
            await emit(m.chunks);
            if (!settled) send({ t: "ack", bytes });
          });
          writing.catch(fail);
          break;
        }
        case "done":
          writing.then(() => {
            if (settled) return;
            if (sourceError !== undefined) return fail(sourceError);
            settled = true;
            giveBack(thread);
            resolve({
              summary: m.summary,
              registers: RegisterStats.fromParts(m.registers),
              lostTimes: m.lostTimes,
              meta: m.meta,
              rnndbError: m.rnndbError,
            });
          }, fail);
          break;
        case "error":
          fail(fromThreadError(m));
          break;
      }
    });
    thread.on("error", fail);
    thread.on("exit", (code) => fail(new Error(`the indexing thread exited (${code})`)));
    send({ t: "start", options });
    // A fault of the source (the decoder, a size limit) ends the text where it happened: the pass
    // still reads what came before it, and a fault it finds there (a line too long) comes first in
    // the stream, so it is the one reported.
    let sourceError: unknown;
    let slice = new Uint8Array(SLICE_BYTES);
    let used = 0;
    const flush = async () => {
      if (used === 0) return;
      const bytes = used === slice.length ? slice : slice.slice(0, used);
      inFlight += used;
      send({ t: "data", bytes }, [bytes.buffer as ArrayBuffer]);
      slice = new Uint8Array(SLICE_BYTES);
      used = 0;
      while (inFlight > IN_FLIGHT_BYTES && !settled)
        await new Promise<void>((r) => {
          wakeFeeder = r;
        });
    };
    (async () => {
      for await (const chunk of source) {
        if (settled) return;
        let at = 0;
        while (at < chunk.length) {
          const n = Math.min(chunk.length - at, SLICE_BYTES - used);
          slice.set(chunk.subarray(at, at + n), used);
          used += n;
          at += n;
          if (used === SLICE_BYTES) await flush();
          if (settled) return;
        }
      }
      await flush();
      if (!settled) send({ t: "end" });
    })().catch((err: unknown) => {
      if (settled) return;
      sourceError = err;
      void flush().then(() => {
        if (!settled) send({ t: "end" });
      }, fail);
    });
  });
}
