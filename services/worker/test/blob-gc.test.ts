import { mkdtemp, utimes } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { createPrisma } from "@mmiohub/db";
import { LocalBlobStore } from "@mmiohub/storage";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { collectBlobGarbage } from "../src/blob-gc";

const prisma = createPrisma(process.env.DATABASE_URL!);
afterAll(() => prisma.$disconnect());

describe("blob garbage collection", () => {
  it("deletes old unreferenced blobs, keeps referenced and young ones", async () => {
    const root = await mkdtemp(join(tmpdir(), "mmiohub-gc-"));
    const storage = new LocalBlobStore(root);
    const put = async (s: string, ageMs: number) => {
      const r = await storage.put(Readable.from([Buffer.from(`${s}-${root}`)]));
      const t = new Date(Date.now() - ageMs);
      await utimes(join(root, "sha256", r.key.slice(0, 2), r.key), t, t);
      return r.key;
    };
    const hour = 3600_000;
    const archive = await put("archive", 2 * hour);
    const attachment = await put("attachment", 2 * hour);
    const orphan = await put("orphan", 2 * hour);
    const young = await put("young-orphan", 1000);
    const id = `gc${Date.now().toString(36)}`;
    await prisma.submission.create({
      data: {
        id,
        archiveSha256: archive,
        archiveSize: 10n,
        archiveName: "a.xz",
        notes: [
          { step: "unpack", ok: true, data: { attachments: [{ name: "dmesg.txt", key: attachment }] } },
        ],
      },
    });
    const r = await collectBlobGarbage(prisma, storage, pino({ level: "silent" }), { graceMs: hour });
    expect(r.deleted).toBe(1);
    expect(await storage.size(orphan)).toBeNull();
    for (const kept of [archive, attachment, young]) expect(await storage.size(kept)).not.toBeNull();
  });
});
