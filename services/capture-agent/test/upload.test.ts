import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runAgent } from "./run-agent";
import { startUploadPeer, type UploadPeer } from "./upload-peer";

let dir: string;
let peer: UploadPeer | undefined;
let archive: string;
let data: Buffer;
let env: Record<string, string>;
const metadata = {
  schema: "mmiohub-agent/metadata@1",
  kernel: "Linux 6.1.0-56-amd64",
  gpus: [{ pciId: "10de:0fc6" }],
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mmiohub-upload-"));
  data = randomBytes(300_000);
  archive = join(dir, "10de-0fc6_NVE0-GK107_20261126-0630.tar.xz");
  writeFileSync(archive, data);
  const sha256 = createHash("sha256").update(data).digest("hex");
  writeFileSync(
    `${archive}.json`,
    JSON.stringify({
      archive,
      size: data.length,
      sha256,
      metadata,
      description: "loaded nouveau, started X",
    }),
  );
  env = {
    MMIOHUB_QUEUE_DIR: join(dir, "queue"),
    MMIOHUB_RETRY_BASE_MS: "20",
    MMIOHUB_AGENT_CONFIG: join(dir, "agent.json"),
  };
  writeFileSync(join(dir, "agent.json"), "{}");
});
afterEach(async () => {
  await peer?.close();
  peer = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const sent = () =>
  readFileSync(join(dir, "queue", "sent.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
const queued = () => readdirSync(join(dir, "queue")).filter((name) => name.endsWith(".tar.xz"));

describe("upload (tus) against the upload test peer", () => {
  it("sends the archive in chunks with its metadata and prints the submission link", async () => {
    peer = await startUploadPeer();
    const result = await runAgent(["upload", archive, "--server", peer.url, "--chunk-size", "65536"], env);
    expect(result.stderr).not.toContain("warning");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`${peer.url}/submissions/sub-1`);
    const upload = [...peer.uploads.values()][0]!;
    expect(Buffer.concat(upload.data).equals(data)).toBe(true);
    expect(upload.metadata.filename).toBe("10de-0fc6_NVE0-GK107_20261126-0630.tar.xz");
    expect(JSON.parse(upload.metadata.metadata!)).toEqual(metadata);
    expect(upload.metadata.description).toBe("loaded nouveau, started X");
    expect(peer.events.filter((event) => event.method === "PATCH")).toHaveLength(5);
    expect(sent()).toMatchObject([{ id: "sub-1", url: `${peer.url}/submissions/sub-1` }]);
    expect(queued()).toEqual([]);
  });

  it("resumes a failed upload where the server stands instead of starting over", async () => {
    peer = await startUploadPeer();
    peer.cutNextPatchAfter = 100_000;
    const result = await runAgent(["upload", archive, "--server", peer.url, "--chunk-size", "200000"], env);
    expect(result.code).toBe(0);
    const methods = peer.events.map(
      (event) => `${event.method}${event.offset === undefined ? "" : `@${event.offset}`}`,
    );
    expect(methods).toEqual(["POST", "PATCH@0", "HEAD", "PATCH@100000"]);
    // Only the bytes after the cut were sent again.
    const patched = peer.events
      .filter((event) => event.method === "PATCH")
      .reduce((sum, event) => sum + (event.bytes ?? 0), 0);
    expect(patched).toBe(data.length);
    expect(Buffer.concat([...peer.uploads.values()][0]!.data).equals(data)).toBe(true);
    expect(peer.submissions).toHaveLength(1);
  });

  it("keeps the place across processes: a later `queue flush` continues from the saved offset", async () => {
    peer = await startUploadPeer();
    peer.cutNextPatchAfter = 120_000;
    const first = await runAgent(
      ["upload", archive, "--server", peer.url, "--retries", "0", "--chunk-size", "300000"],
      env,
    );
    expect(first.code).toBe(4);
    expect(first.stderr).toContain("queue flush");
    const listed = await runAgent(["queue", "list"], env);
    expect(listed.stdout).toContain("10de-0fc6_NVE0-GK107_20261126-0630.tar.xz");
    const flush = await runAgent(["queue", "flush", "--server", peer.url], env);
    expect(flush.code).toBe(0);
    expect(flush.stdout).toContain("resuming the upload at byte 120000");
    const patches = peer.events.filter((event) => event.method === "PATCH");
    expect(patches.map((event) => event.offset)).toEqual([0, 120_000]);
    expect(peer.uploads.size).toBe(1);
    expect(queued()).toEqual([]);
  });

  it("takes server and token from the config file, flags over environment over file", async () => {
    peer = await startUploadPeer();
    writeFileSync(join(dir, "agent.json"), JSON.stringify({ server: peer.url, token: "from-file" }));
    const fromFile = await runAgent(["upload", archive], env);
    expect(fromFile.code).toBe(0);
    expect(new Set(peer.events.map((event) => event.authorization))).toEqual(new Set(["Bearer from-file"]));
    peer.events.length = 0;
    writeFileSync(join(dir, "other.tar.xz"), randomBytes(1000));
    const fromFlag = await runAgent(["upload", join(dir, "other.tar.xz"), "--token", "from-flag"], {
      ...env,
      MMIOHUB_TOKEN: "from-env",
    });
    expect(fromFlag.code).toBe(0);
    expect(new Set(peer.events.map((event) => event.authorization))).toEqual(new Set(["Bearer from-flag"]));
  });

  it("retries 503s with backoff and then succeeds", async () => {
    peer = await startUploadPeer();
    peer.failNext = 2;
    const result = await runAgent(["upload", archive, "--server", peer.url], env);
    expect(result.code).toBe(0);
    expect(result.stderr.match(/trying again in/g)).toHaveLength(2);
    expect(peer.submissions).toHaveLength(1);
  });
});

describe("offline queue", () => {
  it("queues the archive when the server is down and flushes it when the server comes back", async () => {
    // Reserve a port, then close it: nothing listens there.
    const probe = await startUploadPeer();
    const port = probe.port;
    await probe.close();
    const server = `http://127.0.0.1:${port}`;
    const down = await runAgent(["upload", archive, "--server", server, "--retries", "1"], env);
    expect(down.code).toBe(4);
    expect(down.stderr).toMatch(/ECONNREFUSED/);
    expect(queued()).toEqual(["10de-0fc6_NVE0-GK107_20261126-0630.tar.xz"]);
    const list = await runAgent(["queue", "list"], env);
    expect(list.stdout).toMatch(/10de-0fc6_NVE0-GK107_20261126-0630\.tar\.xz\s+293\.0 KiB\s+waiting/);

    peer = await startUploadPeer(port);
    const flush = await runAgent(["queue", "flush", "--server", server], env);
    expect(flush.code).toBe(0);
    expect(flush.stdout).toContain("queue flushed");
    expect(queued()).toEqual([]);
    expect(sent()).toMatchObject([{ id: "sub-1", sha256: createHash("sha256").update(data).digest("hex") }]);
    expect(Buffer.concat([...peer.uploads.values()][0]!.data).equals(data)).toBe(true);
  });

  it("queues without a server configured", async () => {
    const result = await runAgent(["upload", archive], env);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain("no server configured");
    expect(existsSync(join(dir, "queue", "10de-0fc6_NVE0-GK107_20261126-0630.tar.xz"))).toBe(true);
  });
});

describe("upload (multipart)", () => {
  it("posts the archive with metadata and description; a second post of the same bytes gets the same id", async () => {
    peer = await startUploadPeer();
    const result = await runAgent(
      ["upload", archive, "--server", peer.url, "--method", "multipart", "--contact-email", "a@example.org"],
      env,
    );
    expect(result.code).toBe(0);
    expect(peer.submissions).toMatchObject([
      { id: "sub-1", size: data.length, description: "loaded nouveau, started X" },
    ]);
    expect(JSON.parse(peer.submissions[0]!.metadata!)).toEqual(metadata);
    writeFileSync(join(dir, "copy.tar.xz"), data);
    const again = await runAgent(
      ["upload", join(dir, "copy.tar.xz"), "--server", peer.url, "--method", "multipart"],
      env,
    );
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("submission sub-1");
  });

  it("marks a refused archive as failed and leaves it listed", async () => {
    peer = await startUploadPeer();
    const empty = join(dir, "empty.tar.xz");
    writeFileSync(empty, "");
    const result = await runAgent(["upload", empty, "--server", peer.url, "--method", "multipart"], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("400 ARCHIVE_MISSING: no archive");
    const list = await runAgent(["queue", "list"], env);
    expect(list.stdout).toContain("refused: uploading the archive: 400 ARCHIVE_MISSING");
  });
});
