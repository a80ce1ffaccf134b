import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { multipart, startApi } from "./helpers";
import { payload, sha256 } from "./tus";

// The one-shot multipart upload: limits and validation, and nothing left behind when refused.
let api: Awaited<ReturnType<typeof startApi>>;
beforeAll(async () => {
  api = await startApi({ MAX_UPLOAD_BYTES: "100000" });
});
afterAll(async () => api?.close());

const post = (parts: Parameters<typeof multipart>[0]) =>
  api.app.inject({ method: "POST", url: "/api/v1/submissions", ...multipart(parts) });
const blobs = async () => (await readdir(join(api.storageDir, "sha256")).catch(() => [])).length;

describe("POST /api/v1/submissions", () => {
  it("accepts an upload and keeps the uploader's claims for search", async () => {
    const data = payload(1000);
    const res = await post([
      { name: "archive", value: data, filename: "t.tar.xz" },
      {
        name: "metadata",
        value: JSON.stringify({
          kernel: "Linux 6.1.0-13-amd64 #1 SMP PREEMPT_DYNAMIC Debian x86_64 GNU/Linux",
          driver: { name: "NVIDIA", version: "550.54.14", procVersion: null },
          hostname: null,
          distribution: null,
        }),
      },
    ]);
    expect(res.statusCode, res.body).toBe(202);
    const row = await api.prisma.submission.findUniqueOrThrow({ where: { id: res.json().id } });
    expect(row.archiveSha256).toBe(sha256(data));
    expect([row.kernel, row.driverName, row.driverVersion]).toEqual([
      "6.1.0-13-amd64",
      "nvidia",
      "550.54.14",
    ]);
  });

  it("refuses an archive over the limit with 413 naming the limit, keeping nothing", async () => {
    const before = await blobs();
    const res = await post([{ name: "archive", value: payload(100_001), filename: "big.xz" }]);
    expect(res.statusCode).toBe(413);
    expect(res.json().error).toEqual({
      code: "ARCHIVE_TOO_LARGE",
      message: "archive exceeds the upload limit of 100000 bytes (0.1 MiB)",
    });
    expect(await blobs()).toBe(before);
  });

  it("names every bad field (400) and keeps nothing", async () => {
    const data = payload(500);
    const res = await post([
      { name: "archive", value: data, filename: "t.xz" },
      { name: "metadata", value: JSON.stringify({ kernel: 61, private: "hostname" }) },
      { name: "contact_email", value: "not-an-address" },
    ]);
    expect(res.statusCode).toBe(400);
    const { code, message } = res.json().error;
    expect(code).toBe("METADATA_INVALID");
    expect(message).toMatch(/metadata\.kernel: /);
    expect(message).toMatch(/metadata\.private: /);
    expect(message).toMatch(/contact_email: /);
    expect(await api.storage.size(sha256(data))).toBeNull();
    expect(await api.prisma.submission.count({ where: { archiveSha256: sha256(data) } })).toBe(0);

    const notJson = await post([
      { name: "archive", value: payload(10), filename: "t.xz" },
      { name: "metadata", value: "{kernel:" },
    ]);
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().error.message).toBe("invalid upload fields: metadata: must be a JSON object");
  });

  it("answers without an archive or with an empty one (400), and non-multipart bodies (415)", async () => {
    const none = await post([{ name: "description", value: "no file" }]);
    expect(none.statusCode).toBe(400);
    expect(none.json().error.code).toBe("ARCHIVE_MISSING");
    const empty = await post([{ name: "archive", value: Buffer.alloc(0), filename: "e.xz" }]);
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.code).toBe("ARCHIVE_EMPTY");
    const json = await api.app.inject({ method: "POST", url: "/api/v1/submissions", payload: { a: 1 } });
    expect(json.statusCode).toBe(415);
  });
});
