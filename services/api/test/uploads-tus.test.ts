import { existsSync } from "node:fs";
import { readdir, writeFile } from "node:fs/promises";
import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UploadFiles } from "../src/services/upload-files";
import { sweepUploads } from "../src/services/upload-service";
import { startApi, waitFor } from "./helpers";
import { createUpload, head, patch, pathOf, payload, sha256, TUS } from "./tus";

// tus 1.0.0 (creation, expiration, termination) against the real database, Redis and files.
let api: Awaited<ReturnType<typeof startApi>>;
beforeAll(async () => {
  api = await startApi({ MAX_UPLOAD_BYTES: String(4 * 1024 * 1024), ANON_UPLOAD_LIMIT: "1000" });
});
afterAll(async () => api?.close());

const partFiles = async () => (await readdir(join(api.storageDir, "uploads")).catch(() => [])).length;

describe("tus protocol", () => {
  it("advertises version, extensions and the size limit on OPTIONS", async () => {
    const res = await api.app.inject({ method: "OPTIONS", url: "/api/v1/uploads" });
    expect(res.statusCode).toBe(204);
    expect(res.headers["tus-resumable"]).toBe("1.0.0");
    expect(res.headers["tus-version"]).toBe("1.0.0");
    expect(res.headers["tus-extension"]).toBe("creation,expiration,termination");
    expect(res.headers["tus-max-size"]).toBe(String(4 * 1024 * 1024));
  });

  it("answers 412 without Tus-Resumable: 1.0.0", async () => {
    const res = await api.app.inject({
      method: "POST",
      url: "/api/v1/uploads",
      headers: { "upload-length": "10", "tus-resumable": "0.2.2" },
    });
    expect(res.statusCode).toBe(412);
    expect(res.headers["tus-version"]).toBe("1.0.0");
    expect(res.json().error.code).toBe("TUS_VERSION_UNSUPPORTED");
  });

  it("creates, reports the offset, takes chunks and turns the last one into a submission", async () => {
    const data = payload(300_000);
    const metadata = {
      kernel: "Linux 6.1.0-13-amd64 #1 SMP",
      hostname: "box7",
      serial: "SN-1",
      private: ["serial"],
    };
    const created = await createUpload(api.app, data, {
      description: "GK107 modeset",
      metadata: JSON.stringify(metadata),
      contact_email: "a@example.org",
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.headers.location).toMatch(
      new RegExp(`^${api.config.PUBLIC_URL}/api/v1/uploads/[a-z2-9]{24}$`),
    );
    expect(Date.parse(String(created.headers["upload-expires"]))).toBeGreaterThan(Date.now());
    const path = pathOf(String(created.headers.location));

    const h0 = await head(api.app, path);
    expect(h0.statusCode).toBe(200);
    expect(h0.headers["upload-offset"]).toBe("0");
    expect(h0.headers["upload-length"]).toBe("300000");
    expect(h0.headers["cache-control"]).toBe("no-store");

    const p1 = await patch(api.app, path, 0, data.subarray(0, 100_000));
    expect(p1.statusCode, p1.body).toBe(204);
    expect(p1.headers["upload-offset"]).toBe("100000");
    expect(p1.headers["mmiohub-submission"]).toBeUndefined();
    expect((await head(api.app, path)).headers["upload-offset"]).toBe("100000");

    const p2 = await patch(api.app, path, 100_000, data.subarray(100_000));
    expect(p2.statusCode, p2.body).toBe(204);
    expect(p2.headers["upload-offset"]).toBe("300000");
    const id = String(p2.headers["mmiohub-submission"]);
    expect(id).toMatch(/^[a-z2-9]{12}$/);
    expect(p2.headers["mmiohub-url"]).toBe(`${api.config.PUBLIC_URL}/s/${id}`);
    expect(p2.headers["mmiohub-manage-token"]).toMatch(/^mmhm_/);

    const row = await api.prisma.submission.findUniqueOrThrow({ where: { id } });
    expect(row.archiveSha256).toBe(sha256(data));
    expect(Number(row.archiveSize)).toBe(300_000);
    expect(row.archiveName).toBe("trace.tar.xz");
    expect(row.description).toBe("GK107 modeset");
    expect(row.kernel).toBe("6.1.0-13-amd64");
    expect(row.hostname).toBe("box7");
    expect(row.contactEmail).toBe("a@example.org");
    expect(row.privateMetadata).toEqual({ serial: "SN-1" });
    expect(row.metadata).toEqual({ kernel: "Linux 6.1.0-13-amd64 #1 SMP" });
    expect(await api.storage.size(sha256(data))).toBe(300_000);
    expect(existsSync(join(api.storageDir, "uploads", `${path.split("/").pop()}.part`))).toBe(false);

    // A client whose last answer was lost asks again and learns the submission.
    const after = await head(api.app, path);
    expect(after.headers["upload-offset"]).toBe("300000");
    expect(after.headers["mmiohub-submission"]).toBe(id);
    const again = await patch(api.app, path, 300_000, Buffer.alloc(0));
    expect(again.statusCode).toBe(204);
    expect(again.headers["mmiohub-submission"]).toBe(id);
    expect(again.headers["mmiohub-manage-token"]).toBeUndefined();
  });

  it("refuses a chunk at the wrong offset with 409 and keeps its own offset", async () => {
    const data = payload(1000);
    const path = pathOf(String((await createUpload(api.app, data)).headers.location));
    await patch(api.app, path, 0, data.subarray(0, 400));
    const res = await patch(api.app, path, 100, data.subarray(100, 400));
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toEqual({
      code: "UPLOAD_OFFSET_MISMATCH",
      message: "Upload-Offset 100 does not match the server's offset 400",
    });
    expect((await head(api.app, path)).headers["upload-offset"]).toBe("400");
  });

  it("keeps nothing when the sha256 differs (460)", async () => {
    const data = payload(5000);
    const created = await createUpload(api.app, data, { sha256: sha256(Buffer.from("something else")) });
    const path = pathOf(String(created.headers.location));
    const res = await patch(api.app, path, 0, data);
    expect(res.statusCode).toBe(460);
    expect(res.json().error.code).toBe("CHECKSUM_MISMATCH");
    expect(res.json().error.message).toContain(`have sha256 ${sha256(data)}, not the declared`);
    expect(await api.storage.size(sha256(data))).toBeNull();
    expect(await api.prisma.submission.count({ where: { archiveSha256: sha256(data) } })).toBe(0);
    expect((await head(api.app, path)).statusCode).toBe(404);
  });

  it("moves the finished file into storage (no copy left) and survives a crash right after the move", async () => {
    const data = payload(200_000);
    const created = await createUpload(api.app, data);
    const path = pathOf(String(created.headers.location));
    const id = path.split("/").pop()!;
    const files = new UploadFiles(api.storageDir);
    expect((await patch(api.app, path, 0, data.subarray(0, 50_000))).statusCode).toBe(204);
    // As a process killed between the move into blob storage and the submission leaves it: the
    // whole file stored under its sha256, the offset at the end, no part file, no submission.
    await writeFile(files.pathOf(id), data);
    await api.storage.adopt(files.pathOf(id), { key: sha256(data), size: data.length });
    expect(existsSync(files.pathOf(id))).toBe(false);
    await api.prisma.upload.update({ where: { id }, data: { offset: BigInt(data.length) } });
    const last = await patch(api.app, path, data.length, Buffer.alloc(0));
    expect(last.statusCode, last.body).toBe(204);
    const submissionId = String(last.headers["mmiohub-submission"]);
    const row = await api.prisma.submission.findUniqueOrThrow({ where: { id: submissionId } });
    expect(row.archiveSha256).toBe(sha256(data));
    expect(Number(row.archiveSize)).toBe(data.length);

    // The normal path: the part file itself becomes the blob.
    const other = payload(120_000);
    const made = await createUpload(api.app, other);
    const otherPath = pathOf(String(made.headers.location));
    const done = await patch(api.app, otherPath, 0, other);
    expect(done.statusCode, done.body).toBe(204);
    expect(existsSync(files.pathOf(otherPath.split("/").pop()!))).toBe(false);
    expect(await api.storage.size(sha256(other))).toBe(other.length);
  });

  it("answers the same bytes uploaded again with the existing submission", async () => {
    const data = payload(2000);
    const first = await patch(
      api.app,
      pathOf(String((await createUpload(api.app, data)).headers.location)),
      0,
      data,
    );
    const second = await patch(
      api.app,
      pathOf(String((await createUpload(api.app, data)).headers.location)),
      0,
      data,
    );
    expect(second.statusCode).toBe(204);
    expect(second.headers["mmiohub-submission"]).toBe(first.headers["mmiohub-submission"]);
    expect(second.headers["mmiohub-manage-token"]).toBeUndefined();
    expect(await api.prisma.submission.count({ where: { archiveSha256: sha256(data) } })).toBe(1);
  });

  it("refuses uploads over the limit (413 naming it) and chunks past Upload-Length", async () => {
    const res = await api.app.inject({
      method: "POST",
      url: "/api/v1/uploads",
      headers: {
        ...TUS,
        "upload-length": String(4 * 1024 * 1024 + 1),
        "upload-metadata": `sha256 ${Buffer.from("a".repeat(64)).toString("base64")}`,
      },
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.message).toBe(
      "archive exceeds the upload limit of 4194304 bytes (Upload-Length: 4194305)",
    );
    const data = payload(100);
    const path = pathOf(String((await createUpload(api.app, data)).headers.location));
    const over = await patch(api.app, path, 0, Buffer.concat([data, Buffer.from("extra")]));
    expect(over.statusCode).toBe(413);
    expect((await head(api.app, path)).headers["upload-offset"]).toBe("0");
  });

  it("names each bad metadata field (400) and keeps nothing", async () => {
    const before = await partFiles();
    const cases: [Record<string, string>, RegExp][] = [
      [{ sha256: "abc" }, /sha256: must be the hex sha256/],
      [{ metadata: "{not json" }, /metadata: must be a JSON object/],
      [{ metadata: JSON.stringify({ kernel: 5 }) }, /metadata\.kernel: /],
      [{ contact_email: "nobody" }, /contact_email: /],
    ];
    for (const [extra, message] of cases) {
      const res = await createUpload(api.app, payload(10), extra);
      expect(res.statusCode, JSON.stringify(extra)).toBe(400);
      expect(res.json().error.code).toBe("METADATA_INVALID");
      expect(res.json().error.message).toMatch(message);
    }
    const garbled = await createUpload(api.app, payload(10), {}, { "upload-metadata": "sha256 !!!" });
    expect(garbled.statusCode).toBe(400);
    expect(await partFiles()).toBe(before);
  });

  it("forgets expired uploads (410) and sweeps their bytes", async () => {
    const data = payload(100);
    const path = pathOf(String((await createUpload(api.app, data)).headers.location));
    await patch(api.app, path, 0, data.subarray(0, 50));
    const id = path.split("/").pop() as string;
    await api.prisma.upload.update({ where: { id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await head(api.app, path)).statusCode).toBe(410);
    expect(await api.prisma.upload.count({ where: { id } })).toBe(0);

    const other = pathOf(String((await createUpload(api.app, payload(10))).headers.location))
      .split("/")
      .pop() as string;
    await api.prisma.upload.update({
      where: { id: other },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const files = new UploadFiles(api.storageDir);
    expect(existsSync(files.pathOf(other))).toBe(true);
    const swept = await sweepUploads({ db: api.prisma, files, expiryMs: 3_600_000 });
    expect(swept.expired).toBeGreaterThanOrEqual(1);
    expect(existsSync(files.pathOf(other))).toBe(false);
  });

  it("abandons an upload on DELETE (termination)", async () => {
    const path = pathOf(String((await createUpload(api.app, payload(10))).headers.location));
    const res = await api.app.inject({ method: "DELETE", url: path, headers: TUS });
    expect(res.statusCode).toBe(204);
    expect((await head(api.app, path)).statusCode).toBe(404);
  });
});

describe("resuming", () => {
  it("continues where a cut connection stopped, keeping what arrived", async () => {
    const data = payload(3 * 1024 * 1024);
    const path = pathOf(String((await createUpload(api.app, data)).headers.location));
    await api.app.listen({ port: 0, host: "127.0.0.1" });
    const { port } = api.app.server.address() as AddressInfo;
    const sent = 1024 * 1024 + 12_345;
    // Announce the whole file, send a part of it, then drop the connection.
    await new Promise<void>((resolve) => {
      const req = request({
        host: "127.0.0.1",
        port,
        path,
        method: "PATCH",
        headers: {
          ...TUS,
          "upload-offset": "0",
          "content-type": "application/offset+octet-stream",
          "content-length": String(data.length),
        },
      });
      req.on("error", () => resolve());
      req.write(data.subarray(0, sent), () =>
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 300),
      );
    });
    const offset = await waitFor(
      async () => {
        const h = await head(api.app, path);
        const n = Number(h.headers["upload-offset"]);
        return n > 0 ? n : undefined;
      },
      10_000,
      "the server to record the bytes of the cut chunk",
    );
    expect(offset).toBe(sent);
    const rest = await patch(api.app, path, offset, data.subarray(offset));
    expect(rest.statusCode, rest.body).toBe(204);
    const id = String(rest.headers["mmiohub-submission"]);
    const row = await api.prisma.submission.findUniqueOrThrow({ where: { id } });
    expect(row.archiveSha256).toBe(sha256(data));
  });

  it("takes the next chunk on another API instance sharing the database and storage", async () => {
    const other = await startApi({ STORAGE_DIR: api.storageDir, QUEUE_PREFIX: api.prefix });
    try {
      const data = payload(10_000);
      const path = pathOf(String((await createUpload(api.app, data)).headers.location));
      expect((await patch(api.app, path, 0, data.subarray(0, 4000))).statusCode).toBe(204);
      expect((await head(other.app, path)).headers["upload-offset"]).toBe("4000");
      const last = await patch(other.app, path, 4000, data.subarray(4000));
      expect(last.statusCode).toBe(204);
      expect((await head(api.app, path)).headers["mmiohub-submission"]).toBe(
        last.headers["mmiohub-submission"],
      );
    } finally {
      await other.app.close();
      await other.prisma.$disconnect();
      await other.queue.close();
    }
  });
});
