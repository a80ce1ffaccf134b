import { describe, expect, it } from "vitest";
import { decodeValueExact, openEnvytoolsDatabase, type RegisterDatabase } from "../src/index";

const dir = process.env.MMIOHUB_RNNDB;
if (!dir) throw new Error("MMIOHUB_RNNDB must name envytools' rnndb folder (set by vitest.config.ts)");
const db: RegisterDatabase = openEnvytoolsDatabase(dir);

function decodeOn(chipset: number, addr: number, value: number, domain = "NV_MMIO"): string {
  const c = db.compile(db.chipVariant(chipset).selection);
  const info = c.domain(domain).lookup(addr);
  return `${info.name} ${c.decode(info.type, value, 0, info.width)}`;
}

describe("envytools NV_MMIO database", () => {
  it("loads every imported file without a diagnostic", () => {
    const raw = db.prepared.raw;
    expect(raw.files.length).toBe(97);
    expect(raw.files[0]).toBe("nv_mmio.xml");
    expect(db.diagnostics).toEqual([]);
    expect([raw.domains.size, raw.enums.size, raw.bitsets.size, raw.groups.size]).toEqual([41, 93, 209, 87]);
  });

  it("loads the registers and bitfields the XML declares", () => {
    let regs = 0;
    let fields = 0;
    const walk = (elems: readonly unknown[]): void => {
      for (const e of elems as { kind: string; type?: { bitfields: unknown[] }; children?: unknown[] }[]) {
        if (e.kind === "reg") {
          regs++;
          fields += e.type!.bitfields.length;
        } else if (e.children) walk(e.children);
      }
    };
    for (const d of db.prepared.raw.domains.values()) walk(d.children);
    for (const g of db.prepared.raw.groups.values()) walk(g);
    for (const b of db.prepared.raw.bitsets.values()) fields += b.bitfields.length;
    expect(regs).toBe(4065);
    expect(fields).toBe(7236);
  });

  it("has a version that identifies the files", () => {
    expect(db.version).toMatch(/^[0-9a-f]{16}$/);
    expect(openEnvytoolsDatabase(dir)).toBe(db);
  });

  it("maps chipset ids to variants by value, pre-NV10 ids by name", () => {
    expect(db.chipVariant(0xe7).name).toBe("GK107");
    expect(db.chipVariant(0xa3).name).toBe("GT215");
    expect(db.chipVariant(0x50).name).toBe("G80");
    expect(db.chipVariant(0x04).name).toBe("NV4");
    expect(db.chipVariant(0x172).name).toBeUndefined();
    expect(db.chipByName("gk107")?.chipset).toBe(0xe7);
    expect(db.chipByName("NVE7")?.variant.name).toBe("GK107");
    expect(db.chipByName("0xa3")?.variant.name).toBe("GT215");
    expect(db.chipByName("nonsense")).toBeUndefined();
  });

  it.each([
    [
      0xe7,
      0x000000,
      0x0e7150a2,
      "PMC.ID { STEPPING = 0xa2 | DEVICE_ID = 0x15 | CHIPSET = GK107 | FOUNDRY = TSMC }",
    ],
    [
      0xa3,
      0x000000,
      0x0a3000a2,
      "PMC.ID { STEPPING = 0xa2 | DEVICE_ID = 0 | CHIPSET = GT215 | FOUNDRY = TSMC }",
    ],
    [
      0x04,
      0x000000,
      0x20004000,
      "PMC.ID { ARCHITECTURE = NV4 | REV_MINOR = 0 | REV_MAJOR = 0 | ALWAYS0 = 0 | FOUNDRY = TSMC }",
    ],
    [
      0xe7,
      0x000200,
      0xffffffff,
      "PMC.ENABLE { UNK0 | PPPP | PXBAR | PMFB | PMEDIA | PIBUS | PCOPY0 | PCOPY1 | PFIFO | PGRAPH | PDAEMON | PVLD | PTIMER | PPDEC | PVENC | PBFB | PCOPY2 | UNK26 | BLG | PCOUNTER | PFFB | PDISPLAY | UNK31 | 0x3c84e00 }",
    ],
    [
      0x50,
      0x000200,
      0xffffffff,
      "PMC.ENABLE { UNK0 | PVPE | PMEDIA | PFIFO | PGRAPH | PTIMER | PFB | PDISPLAY | UNK31 | 0x3feeeeec }",
    ],
    [0xe7, 0x000200, 0x3100, "PMC.ENABLE { PFIFO | PGRAPH | PDAEMON }"],
    [0x50, 0x000200, 0x3100, "PMC.ENABLE { PFIFO | PGRAPH | 0x2000 }"],
    [0xe7, 0x001700, 0x30, "PBUS.HOST_MEM.PMEM { OFFSET = 0x300000 | TARGET = VRAM }"],
    [0xa3, 0x00e138, 7, "PNVIO.I2C_PORT_0.BITBANG { SCL | SDA | MODE = BITBANG }"],
    [0xa3, 0x10a1c4, 0x20013, "PDAEMON.DATA[0] 0x20013"],
    [0xe7, 0x123456, 0, "PIBUS.MMIO_HUB[0x5]+0x56 0"],
    [0xe7, 0x610018, 1, "PDISPLAY+0x18 0x1"],
    [0xe7, 0x00a000, 1, "0xa000 0x1"],
    [0xe7, 0x088000, 0x10de, "PPCI.PCIID { VENDOR = 0x10de | DEVICE = 0 }"],
    [0xe7, 0x6013d4, 0x1f, "PRMIO.CRX 0x1f"],
    [
      0xe7,
      0x101000,
      0x80101140,
      "PSTRAPS.STRAPS0_PRIMARY { VALUE = { RAMCFG = 0 | CRYSTAL = 0x1 | DEVICE_ID_0_3 = 0x4 | BAR1_SIZE = 64MB | ROM_TYPE = PARALLEL | FP_CONFIG = 0 | DEVICE_ID_4 = 0 | DEVICE_ID_5 = 0 | 0x100100 } | OVERRIDE_ENABLE }",
    ],
    [0xe7, 0x002254, 0x10000000, "PFIFO.BAR1_BASE { ADDR = 0 | UNK28 }"],
    [0xa3, 0x10a000, 0, "PDAEMON.INTR_TRIGGER { 0 }"],
  ])("chipset %i, offset %i, value %i decodes as demmio does", (chipset, addr, value, expected) => {
    expect(decodeOn(chipset, addr, value)).toBe(expected);
  });

  it("decodes the NV_CR domain for the VGA CRTC decoder", () => {
    expect(decodeOn(0xe7, 0x11, 0x20, "NV_CR")).toBe("CR.CR11 { VRE_0_3 = 0 | INTR_DISABLE | REFRESH = 3 }");
    expect(decodeOn(0xe7, 0x1f, 0x57, "NV_CR")).toBe("0x1f 0x57");
  });

  it("on a chip it lacks, keeps what does not depend on the chip and flags the rest", () => {
    const ga102 = db.compile(db.chipVariant(0x172).selection);
    const mmio = ga102.domain("NV_MMIO");
    const id = mmio.lookup(0);
    expect(id.name).toBe("PMC.ID");
    expect(id.chipDependent).toBe(true);
    // bits whose variants ended before the newest chip the database knows are left undecoded
    const enable = mmio.lookup(0x200);
    expect(ga102.decode(enable.type, 0x3100, 0, 32)).toBe("{ PFIFO | PGRAPH | PDAEMON }");
    expect(ga102.decode(enable.type, 0x2, 0, 32)).toBe("{ 0x2 }");
    expect(enable.chipDependent).toBe(true);
    // G80's PMC.ID layout (ended before the newest chip) is not used
    expect(ga102.decode(id.type, 0x172000a1, 0, 32)).toBe(
      "{ STEPPING = 0xa1 | DEVICE_ID = 0 | CHIPSET = 0x172 | FOUNDRY = TSMC }",
    );
  });

  it("compiles once per chipset and memoizes lookups", () => {
    const a = db.compile(db.chipVariant(0xe7).selection);
    expect(db.compile(db.chipVariant(0xe7).selection)).toBe(a);
    expect(a.domain("NV_MMIO").lookup(0x200)).toBe(a.domain("NV_MMIO").lookup(0x200));
    expect(db.compile(db.chipVariant(0x50).selection)).not.toBe(a);
  });
});

describe("value decoding", () => {
  it("gives the same text on the number fast path as on the exact BigInt path", () => {
    let seed = 12345;
    const rand = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return seed >>> 0;
    };
    let compared = 0;
    const mismatches: string[] = [];
    for (const chipset of [0x50, 0xa3, 0xe7, 0x124]) {
      const c = db.compile(db.chipVariant(chipset).selection);
      const mmio = c.domain("NV_MMIO");
      const seen = new Set<unknown>();
      for (let page = 0; page < 0x800000; page += 0x1000) {
        for (let addr = page; addr < page + 0x80; addr += 4) {
          const info = mmio.lookup(addr);
          if (!info.known || seen.has(info.type)) continue;
          seen.add(info.type);
          for (const v of [0, 1, 0xffffffff, rand(), rand() & 0xff]) {
            const fast = c.decode(info.type, v, 0, info.width);
            const exact = decodeValueExact(info.type, BigInt(v), info.width);
            if (fast !== exact) mismatches.push(`${info.name} ${v}: ${fast} != ${exact}`);
            compared++;
          }
        }
      }
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
    expect(compared).toBeGreaterThan(2000);
  });
});
