// A process playing the kernel behind a fake tracing directory (see test/fake/README.md).
// Usage: node fake-kernel.mjs ROOT   (ROOT made by fake-system.ts: ROOT/tracing, ROOT/sys, ROOT/driver-requests)
import {
  appendFileSync,
  closeSync,
  constants,
  createReadStream,
  existsSync,
  open,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  write,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";

const root = process.argv[2];
const tracing = join(root, "tracing");
const pipePath = realpathSync(join(tracing, "trace_pipe"));
const cpuDir = join(root, "sys", "devices", "system", "cpu");
const logPath = join(root, "kernel.log");
const boot = process.hrtime.bigint();

const HEADER = [
  "VERSION 20070824",
  "PCIDEV 0000 80860c00 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 ",
  "PCIDEV 0100 10de0fc6 1a f6000000 e000000c 0 e800000c 0 e001 f7000000 1000000 8000000 0 2000000 0 80 80000 nvidia",
];

let tracer = "nop";
let capacity = 0;
let queue = [];
let queued = 0;
let lost = 0;
let writerFd = -1;
let writing = false;
let generation = 0;
let mapped = false;

const log = (text) => appendFileSync(logPath, `${text}\n`);
const now = () => {
  const us = (process.hrtime.bigint() - boot) / 1000n + 1_000_000n;
  return `${us / 1_000_000n}.${String(us % 1_000_000n).padStart(6, "0")}`;
};

// The ring buffer: when it is full new events are dropped and counted; the count comes out as a MARK
// before the next event that fits, as the kernel reports it when read.
function emit(line) {
  if (tracer !== "mmiotrace") return;
  const bytes = line.length + 1;
  if (queued + bytes > capacity) {
    lost++;
    return;
  }
  if (lost > 0) {
    const note = `MARK 0.000000 Lost ${lost} events.`;
    queue.push(note);
    queued += note.length + 1;
    lost = 0;
  }
  queue.push(line);
  queued += bytes;
  flush();
}

function flush() {
  if (writing || writerFd < 0 || queue.length === 0) return;
  const data = Buffer.from(`${queue.join("\n")}\n`);
  queue = [];
  queued = 0;
  writing = true;
  const fd = writerFd;
  write(fd, data, (error) => {
    writing = false;
    if (error) {
      // EPIPE: the reader went away; what was in flight is gone, as with a closed trace_pipe.
      if (writerFd === fd) {
        closeSync(fd);
        writerFd = -1;
        if (tracer === "mmiotrace") waitForReader();
      }
      return;
    }
    flush();
  });
}

function waitForReader() {
  const mine = generation;
  // Blocks (in a worker thread) until someone opens trace_pipe for reading.
  open(pipePath, constants.O_WRONLY, (error, fd) => {
    if (error) return;
    if (mine !== generation || tracer !== "mmiotrace") {
      closeSync(fd);
      return;
    }
    writerFd = fd;
    log("trace_pipe opened by a reader");
    // The header comes first in what the reader sees, whatever raced in while the open was pending.
    queue.unshift(...HEADER);
    queued += HEADER.reduce((sum, line) => sum + line.length + 1, 0);
    flush();
  });
}

function cpus() {
  return readdirSync(cpuDir).filter(
    (name) => /^cpu\d+$/.test(name) && existsSync(join(cpuDir, name, "online")),
  );
}

/** Who has trace_pipe open for reading, from /proc, as the kernel would know from its open files. */
function pipeReaders() {
  const pids = [];
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    let fds;
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) !== pipePath) continue;
        const flags = Number.parseInt(
          /flags:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, "utf8"))[1],
          8,
        );
        if ((flags & 3) !== constants.O_WRONLY) pids.push(Number(pid));
      } catch {
        // the process or fd went away
      }
    }
  }
  return pids;
}

function startTracer() {
  tracer = "mmiotrace";
  generation++;
  mapped = false;
  capacity = Number.parseInt(readFileSync(join(tracing, "buffer_size_kb"), "utf8"), 10) * 1024;
  const off = cpus();
  for (const cpu of off) writeFileSync(join(cpuDir, cpu, "online"), "0\n");
  log(`tracer mmiotrace, buffer ${capacity / 1024} KiB, offlined ${off.join(",")}`);
  waitForReader();
}

function stopTracer() {
  tracer = "nop";
  generation++;
  queue = [];
  queued = 0;
  lost = 0;
  if (writerFd >= 0) {
    closeSync(writerFd);
    writerFd = -1;
  }
  for (const cpu of cpus()) writeFileSync(join(cpuDir, cpu, "online"), "1\n");
  log("tracer nop, cpus online");
}

// A plain file cannot fail a write(2) the way tracefs does, so the 6.1 rule (nop is refused with
// EBUSY while trace_pipe is open) is applied right after the write: the old tracer is put back and
// the refusal is logged. The agent's tests assert on the final state and on this log.
function syncTracer() {
  const wanted = readFileSync(join(tracing, "current_tracer"), "utf8").trim();
  // Empty: the agent's open(O_TRUNC) happened and its write(2) has not yet; look again next tick.
  if (wanted === tracer || wanted === "") return;
  if (wanted === "mmiotrace") startTracer();
  else if (wanted === "nop") {
    const readers = pipeReaders();
    if (readers.length > 0) {
      writeFileSync(join(tracing, "current_tracer"), `${tracer}\n`);
      log(`EBUSY: nop refused, trace_pipe open by pid ${readers.join(",")}`);
      return;
    }
    stopTracer();
  } else {
    writeFileSync(join(tracing, "current_tracer"), `${tracer}\n`);
    log(`EINVAL: unknown tracer ${wanted}`);
  }
}
setInterval(syncTracer, 5);

function lines(path, onLine) {
  // O_RDWR keeps the FIFO from reporting end of file when a writer closes it.
  const stream = createReadStream(path, { flags: "r+", encoding: "utf8" });
  let rest = "";
  stream.on("data", (text) => {
    const parts = (rest + text).split("\n");
    rest = parts.pop();
    for (const line of parts) onLine(line);
  });
}

// A real kernel switches tracers inside the write(2) to current_tracer; the fake notices by polling.
// Input that arrives before the next poll must still see the switch, or a marker written right after
// enabling the tracer would be dropped: look at current_tracer first.
lines(join(tracing, "trace_marker"), (text) => {
  syncTracer();
  emit(`MARK ${now()} ${text}`);
});

// The fake driver asks for N register accesses and waits for the acknowledgement file.
lines(join(root, "driver-requests"), (request) => {
  const [count, ack] = request.split(" ");
  if (!mapped) {
    emit(`MAP ${now()} 1 0xf6000000 0xffffc90010000000 0x1000000 0x0 0`);
    emit(`R 4 ${now()} 1 0xf6000000 0x0e7150a2 0x0 0`);
    mapped = true;
  }
  for (let i = 0; i < Number(count); i++) {
    const reg = 0xf6000000 + 0x1700 + (i % 64) * 4;
    emit(
      `${i % 2 ? "R" : "W"} 4 ${now()} 1 0x${reg.toString(16)} 0x${((i * 2654435761) >>> 0).toString(16)} 0x0 0`,
    );
  }
  writeFileSync(ack, "ok\n");
});

log(`fake kernel ready, pid ${process.pid}`);
writeFileSync(join(root, "kernel.ready"), String(process.pid));
process.on("SIGTERM", () => process.exit(0));
