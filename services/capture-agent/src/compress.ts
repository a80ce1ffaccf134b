import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { accessSync, closeSync, constants, createWriteStream, openSync } from "node:fs";
import { delimiter, join } from "node:path";
import { createStoreXzEncoder } from "./xz-store";

/**
 * .xz output either through the `xz` program (real compression, preset 1 by default: ~20 MB/s on one
 * core, fast enough that the compressor never slows the reader while mmiotrace has taken all other
 * CPUs offline) or, when `xz` is absent, through the in-process store encoder (valid .xz, no
 * compression). MMIOHUB_XZ=store forces the latter, MMIOHUB_XZ=/path/to/xz picks a program.
 */
export type XzBackend = { kind: "xz"; program: string; preset: number } | { kind: "store" };

// An initramfs /init may run with no PATH at all; busybox puts mount and friends in /sbin.
const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export function findProgram(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? DEFAULT_PATH).split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function chooseXzBackend(env: NodeJS.ProcessEnv = process.env, preset = 1): XzBackend {
  const forced = env.MMIOHUB_XZ;
  if (forced === "store") return { kind: "store" };
  const program = forced !== undefined && forced !== "" ? forced : findProgram("xz", env);
  // busybox's `xz` applet only decompresses: make sure the program can compress.
  if (program !== undefined && spawnSync(program, ["-c", "-0"], { input: "", timeout: 5000 }).status === 0) {
    return { kind: "xz", program, preset };
  }
  return { kind: "store" };
}

export function describeBackend(backend: XzBackend): string {
  return backend.kind === "xz"
    ? `${backend.program} -${backend.preset}`
    : "in-process .xz, stored (no xz program)";
}

export interface XzFileWriter {
  write(chunk: Buffer): Promise<void>;
  end(): Promise<void>;
  /** Kills the compressor without waiting: for the crash path. */
  abort(): void;
}

/** Writes one .xz stream to `path`, compressing as data arrives; write() resolves when there is room. */
export function createXzFileWriter(path: string, backend: XzBackend): XzFileWriter {
  if (backend.kind === "xz") {
    const fd = openSync(path, "w");
    // Its own process group: Ctrl-C on the terminal goes to the whole foreground group, and xz must
    // live on to compress what the graceful stop still drains. It ends at end of input, also when
    // we are killed.
    const child = spawn(backend.program, [`-${backend.preset}`, "-T1", "-c"], {
      stdio: ["pipe", fd, "pipe"],
      detached: true,
    });
    closeSync(fd);
    let stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (text: string) => {
      stderr += text;
    });
    const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
    // stdio[0] is "pipe", so stdin exists.
    const stdin = child.stdin!;
    let failure: Error | undefined;
    stdin.on("error", (error) => {
      failure = error;
    });
    return {
      async write(chunk) {
        if (failure) throw failure;
        if (!stdin.write(chunk)) await Promise.race([once(stdin, "drain"), exited]);
      },
      async end() {
        stdin.end();
        const [code, signal] = await exited;
        if (code !== 0) throw new Error(`xz failed (${signal ?? code}): ${stderr.trim()}`);
      },
      abort() {
        child.kill("SIGKILL");
      },
    };
  }
  const encoder = createStoreXzEncoder();
  const out = createWriteStream(path);
  const put = async (parts: Buffer[]): Promise<void> => {
    let room = true;
    for (const part of parts) room = out.write(part) && room;
    if (!room) await once(out, "drain");
  };
  return {
    write: (chunk) => put(encoder.push(chunk)),
    async end() {
      await put(encoder.finish());
      out.end();
      await once(out, "finish");
    },
    abort() {
      out.destroy();
    },
  };
}

/** A whole small buffer as one .xz stream (pack's header and trailer streams). */
export function xzBuffer(data: Buffer, backend: XzBackend): Buffer {
  if (backend.kind === "xz") {
    const result = spawnSync(backend.program, [`-${backend.preset}`, "-c"], {
      input: data,
      maxBuffer: 1 << 30,
    });
    if (result.status !== 0) throw new Error(`xz failed: ${result.stderr.toString().trim()}`);
    return result.stdout;
  }
  const encoder = createStoreXzEncoder();
  return Buffer.concat([...encoder.push(data), ...encoder.finish()]);
}
