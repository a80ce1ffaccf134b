import { describe, expect, it } from "vitest";
import { loadDatabase, RegisterDatabase, XmlSyntaxError } from "../src/index";

describe("rnndb loader", () => {
  it("reports unknown elements and attributes without failing", () => {
    const files: Record<string, string> = {
      "a.xml": `<database><import file="b.xml"/><import file="b.xml"/>
        <domain name="D"><reg32 offset="0" name="R" colour="red"/><frobnicate/></domain></database>`,
      "b.xml": `<database><domain name="D"><reg32 offset="4" name="S"/></domain></database>`,
    };
    const reads: string[] = [];
    const { raw } = loadDatabase("a.xml", (f) => {
      reads.push(f);
      return files[f]!;
    });
    expect(reads).toEqual(["a.xml", "b.xml"]);
    expect(raw.domains.get("D")!.children.map((c) => (c.kind === "reg" ? c.name : c.kind))).toEqual([
      "S",
      "R",
    ]);
    expect(raw.diagnostics).toEqual([
      { file: "a.xml", line: 2, message: 'unknown attribute "colour" on <reg32>' },
      { file: "a.xml", line: 2, message: "unknown element <frobnicate> in <domain>" },
    ]);
  });

  it("rejects malformed XML with the file name", () => {
    expect(() => loadDatabase("x.xml", () => "<database><domain></database>")).toThrow(XmlSyntaxError);
    expect(() => loadDatabase("x.xml", () => "<database><domain></database>")).toThrow(/^x\.xml/);
  });

  it("gives a version that changes with the files' content", () => {
    const v1 = loadDatabase("a.xml", () => "<database/>").version;
    const v2 = loadDatabase("a.xml", () => "<database></database>").version;
    expect(v1).not.toBe(v2);
    expect(loadDatabase("a.xml", () => "<database/>").version).toBe(v1);
  });

  it("decodes types: shr, add, int, uint, float, fixed, booleans and leftovers", () => {
    const files: Record<string, string> = {
      "a.xml": `<database><domain name="D" bare="yes">
        <reg32 offset="0" name="R">
          <bitfield low="0" high="7" name="S" type="int"/>
          <bitfield low="8" high="11" name="A" add="2" type="uint"/>
          <bitfield low="12" high="15" name="SH" shr="4"/>
          <bitfield pos="16" name="FLAG"/>
        </reg32>
        <reg32 offset="4" name="F" type="float"/>
        <reg32 offset="8" name="X" type="fixed" radix="8"/>
        <reg64 offset="0x10" name="Q"><bitfield low="32" high="63" name="HI"/></reg64>
      </domain></database>`,
    };
    const c = RegisterDatabase.load("a.xml", (f) => files[f]!).compileAny();
    const dec = (a: number, lo: number, hi = 0) => {
      const info = c.domain("D").lookup(a);
      return c.decode(info.type, lo, hi, info.width);
    };
    expect(dec(0, 0x1153ff)).toBe("{ S = -1 | A = 5 | SH = 0x50 | FLAG | 0x100000 }");
    expect(dec(0, 0)).toBe("{ S = 0 | A = 2 | SH = 0 }");
    expect(dec(4, 0x3fc00000)).toBe("1.500000");
    expect(dec(8, 0xffffff80)).toBe("-0.500000 (ffffff80)");
    expect(dec(0x10, 5, 0x12)).toBe("{ HI = 0x12 | 0x5 }");
  });
});
