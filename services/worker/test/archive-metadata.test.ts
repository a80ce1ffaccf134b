import { describe, expect, it } from "vitest";
import { ingestSubmission } from "../src/ingest/pipeline";
import { makeDeps, nonce, sample, submit, tar, xz } from "./helpers";

// The capture agent's metadata.json inside a .tar.xz, merged with what the uploader typed in the
// form: the form's explicit fields win, the archive fills the gaps, each key's origin is stored,
// and the hostname (and keys listed as private) stay out of the public metadata.
/** A .tar.xz of a GT215 sample trace and a metadata.json of `metadata` (made unique by a nonce). */
const gt215With = async (metadata: Record<string, unknown>) =>
  xz(
    await tar([
      { name: "t.mmiotrace", body: await sample("gt215_i2c_seq.mmiotrace") },
      { name: "metadata.json", body: Buffer.from(JSON.stringify({ ...metadata, n: nonce() })) },
    ]),
  );

describe("metadata.json in the archive", () => {
  it("fills the gaps of the form's metadata, keeps protected fields protected, and reprocesses the same", async () => {
    const deps = await makeDeps();
    const agent = {
      schema: "mmiohub-agent/metadata@1",
      agent: { version: "0.1.0" },
      kernel: "Linux 6.1.0-13-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 x86_64 GNU/Linux",
      hostname: "secret-box.example",
      distribution: "Debian GNU/Linux 12 (bookworm)",
      driver: { name: "nvidia", version: "550.54.14" },
      displays: [{ connector: "DP-1", status: "connected", monitor: "DELL U2415", modes: ["1920x1200"] }],
      private: ["displays"],
    };
    const archive = xz(
      await tar([
        { name: "trace.mmiotrace", body: await sample("gk107_hand.mmiotrace") },
        { name: "metadata.json", body: Buffer.from(JSON.stringify(agent)) },
        { name: "nonce", body: Buffer.from(nonce()) },
      ]),
    );
    const id = await submit(deps, archive, "agent.tar.xz", { metadata: { kernel: "6.12.5-amd64" } });
    expect(await ingestSubmission(deps, id)).toBe("done");
    const row = await deps.prisma.submission.findUniqueOrThrow({ where: { id } });
    expect(row.kernel).toBe("6.12.5-amd64"); // the form's explicit value
    expect([row.driverName, row.driverVersion]).toEqual(["nvidia", "550.54.14"]); // from the archive
    expect(row.hostname).toBe("secret-box.example");
    expect(row.metadata).toEqual({
      kernel: "6.12.5-amd64",
      schema: "mmiohub-agent/metadata@1",
      agent: { version: "0.1.0" },
      distribution: "Debian GNU/Linux 12 (bookworm)",
      driver: { name: "nvidia", version: "550.54.14" },
      _sources: {
        kernel: "form",
        schema: "archive",
        agent: "archive",
        distribution: "archive",
        driver: "archive",
      },
    });
    expect(JSON.stringify(row.metadata)).not.toContain("secret-box");
    expect(row.privateMetadata).toEqual({ displays: agent.displays });
    // The archive as uploaded still holds them: the API serves it to maintainers only.
    expect(row.archiveProtected).toEqual(["displays", "hostname"]);

    // run again (as reprocessing does): the same result, the form's values still the form's
    await deps.prisma.submission.update({ where: { id }, data: { status: "reprocessing" } });
    expect(await ingestSubmission(deps, id)).toBe("done");
    const again = await deps.prisma.submission.findUniqueOrThrow({ where: { id } });
    expect([
      again.metadata,
      again.privateMetadata,
      again.hostname,
      again.kernel,
      again.archiveProtected,
    ]).toEqual([row.metadata, row.privateMetadata, row.hostname, row.kernel, row.archiveProtected]);
  });

  it("names what the archive holds that the form keeps private, and nothing for an archive without it", async () => {
    const deps = await makeDeps();
    const withSerial = await gt215With({ serial: "PX-1234", kernel: "6.1.0" });
    // The form marks `serial` private (its value the form's own); the archive's copy is the issue.
    const id = await submit(deps, withSerial, "s.tar.xz");
    await deps.prisma.submission.update({ where: { id }, data: { privateMetadata: { serial: "form" } } });
    expect(await ingestSubmission(deps, id)).toBe("done");
    const row = await deps.prisma.submission.findUniqueOrThrow({ where: { id } });
    expect(row.archiveProtected).toEqual(["serial"]);
    expect(JSON.stringify(row.metadata)).not.toContain("PX-1234");

    const plain = await gt215With({ kernel: "6.1.0" });
    const plainId = await submit(deps, plain, "p.tar.xz");
    expect(await ingestSubmission(deps, plainId)).toBe("done");
    const plainRow = await deps.prisma.submission.findUniqueOrThrow({ where: { id: plainId } });
    expect(plainRow.archiveProtected).toEqual([]);
  });

  it("an explicit hostname in the form wins over the archive's", async () => {
    const deps = await makeDeps();
    const archive = await gt215With({ hostname: "from-archive" });
    const id = await submit(deps, archive, "h.tar.xz");
    await deps.prisma.submission.update({ where: { id }, data: { hostname: "from-form" } });
    expect(await ingestSubmission(deps, id)).toBe("done");
    const row = await deps.prisma.submission.findUniqueOrThrow({ where: { id } });
    expect(row.hostname).toBe("from-form");
    expect(JSON.stringify(row.metadata)).not.toContain("from-archive");
  });
});
