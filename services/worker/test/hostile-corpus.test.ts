import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { IngestError } from "../src/ingest/errors";
import { readSubmission } from "../src/ingest/pipeline";
import { makeDeps, sample } from "./helpers";
import { hostileCorpus } from "./hostile/corpus";

// Every hostile or malformed input ends in its specific reason (or, for hostile text, is read and
// kept as data), with the worker's memory bounded and nothing written outside the storage root.
const trace = await sample("gk107_hand.mmiotrace");
const corpus = hostileCorpus(trace);

describe(`hostile input corpus (${corpus.length} inputs)`, () => {
  it("has at least 40 inputs", () => expect(corpus.length).toBeGreaterThanOrEqual(40));

  it.each(corpus.map((c) => [c.name, c] as const))(
    "%s",
    async (_name, c) => {
      // The storage root two levels down in a directory of its own: a member written by its
      // '../..' name would land beside it, and one named relative to the working directory there.
      const root = await mkdtemp(join(tmpdir(), "mmiohub-hostile-"));
      const cwdBefore = await readdir(process.cwd());
      const deps = await makeDeps({
        STORAGE_DIR: join(root, "a", "b", "storage"),
        EXPANSION_CHECK_AFTER_BYTES: String(1 << 20),
        MAX_TRACE_BYTES: String(64 << 20),
        MAX_ARCHIVE_MEMBERS: "20",
        MAX_LINE_BYTES: String(64 * 1024),
        ...c.config,
      });
      const bytes = await c.make();
      const blob = await deps.storage.put(Readable.from([bytes]));
      const rssBefore = process.memoryUsage().rss;
      const outcome = await readSubmission(deps, blob.key, blob.size, c.file).then(
        (r) => ({ code: "read", traces: r.traces.length }),
        (err: unknown) => {
          if (err instanceof IngestError) return { code: err.code, message: err.message };
          throw err;
        },
      );
      expect(outcome.code, JSON.stringify(outcome)).toBe(c.expect);
      if (c.expect === "read") expect(outcome).toMatchObject({ traces: 1 });
      else expect((outcome as { message: string }).message.length).toBeGreaterThan(10);
      // Bounded memory: decoding hundreds of MB of bombs must not pull them into this process.
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(256 << 20);
      // Nothing outside the storage root: all the run wrote is under it, and the working directory
      // has what it had.
      const written = await readdir(root, { recursive: true });
      expect(
        written.filter((f) => !["a", join("a", "b")].includes(f) && !f.startsWith(join("a", "b", "storage"))),
      ).toEqual([]);
      expect(await readdir(process.cwd())).toEqual(cwdBefore);
      await rm(root, { recursive: true, force: true });
    },
    120_000,
  );
});
