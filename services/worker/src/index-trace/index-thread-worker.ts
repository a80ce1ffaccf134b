// The indexing thread: runs index-pass.ts on trace text sent by the main thread and sends the
// event store's bytes back. One pass at a time; the thread (and its opened rnndb) serves the
// process's next traces too.
import { parentPort } from "node:worker_threads";
import type { DatabaseChoice } from "@mmiohub/annotate";
import { openEnvytoolsDatabase, type RegisterDatabase } from "@mmiohub/rnndb";
import { IngestError } from "../ingest/errors";
import { indexPass } from "./index-pass";
import {
  type FromThread,
  IN_FLIGHT_BYTES,
  type ThreadPassOptions,
  type ToThread,
} from "./index-thread-protocol";

const port = parentPort;
if (!port) throw new Error("index-thread-worker runs as a worker thread");
const post = (m: FromThread, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

let input: Uint8Array[] = [];
let ended = false;
let outstanding = 0;
let wake: (() => void) | undefined;
const nudge = () => {
  const w = wake;
  wake = undefined;
  w?.();
};
const sleep = () =>
  new Promise<void>((resolve) => {
    wake = resolve;
  });

async function* text(): AsyncIterable<Uint8Array> {
  for (;;) {
    const next = input.shift();
    if (next) {
      post({ t: "taken", bytes: next.length });
      yield next;
      continue;
    }
    if (ended) return;
    await sleep();
  }
}

async function emit(chunks: Uint8Array[]): Promise<void> {
  const transfer: ArrayBuffer[] = [];
  let bytes = 0;
  for (const c of chunks) {
    bytes += c.length;
    // the writer's chunks own their buffers (ByteWriter.take copies): move them, do not copy
    if (c.byteOffset === 0 && c.byteLength === c.buffer.byteLength && c.buffer instanceof ArrayBuffer)
      transfer.push(c.buffer);
  }
  if (bytes === 0) return;
  outstanding += bytes;
  post({ t: "out", chunks }, transfer);
  while (outstanding > IN_FLIGHT_BYTES) await sleep();
}

const databases = new Map<string, RegisterDatabase | string>();
function choice(dir: string | null): { dbs: DatabaseChoice; error: () => string | null } {
  const open = (): RegisterDatabase | string | undefined => {
    if (!dir) return undefined;
    let db = databases.get(dir);
    if (db === undefined) {
      try {
        db = openEnvytoolsDatabase(dir);
      } catch (err) {
        db = `cannot open envytools' rnndb at ${dir}: ${(err as Error).message}`;
      }
      databases.set(dir, db);
    }
    return db;
  };
  let used = false;
  return {
    dbs: {
      get nvidia() {
        used = true;
        const db = open();
        return typeof db === "string" ? undefined : db;
      },
    },
    error: () => {
      const db = used ? open() : undefined;
      return typeof db === "string" ? db : null;
    },
  };
}

async function run(options: ThreadPassOptions): Promise<void> {
  const { dbs, error } = choice(options.rnndbDir);
  try {
    const r = await indexPass(
      text(),
      {
        ...options,
        annotatorDatabases: dbs,
        rnndbVersion: () => {
          const db = options.rnndbDir ? databases.get(options.rnndbDir) : undefined;
          return db && typeof db !== "string" ? db.version : null;
        },
      },
      emit,
    );
    const registers = r.registers.parts();
    post(
      { t: "done", summary: r.summary, registers, lostTimes: r.lostTimes, meta: r.meta, rnndbError: error() },
      [registers.keys, registers.reads, registers.writes, registers.first, registers.last].map(
        (a) => a.buffer as ArrayBuffer,
      ),
    );
  } catch (err) {
    const e = err as Error & { code?: unknown };
    post({
      t: "error",
      ingest: err instanceof IngestError,
      code: typeof e.code === "string" ? e.code : null,
      message: e?.message ?? String(err),
      stack: e?.stack ?? null,
    });
  }
}

port.on("message", (m: ToThread) => {
  switch (m.t) {
    case "start":
      input = [];
      ended = false;
      outstanding = 0;
      void run(m.options);
      break;
    case "data":
      input.push(m.bytes);
      nudge();
      break;
    case "end":
      ended = true;
      nudge();
      break;
    case "ack":
      outstanding -= m.bytes;
      if (outstanding <= IN_FLIGHT_BYTES) nudge();
      break;
  }
});
