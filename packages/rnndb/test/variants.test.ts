import { describe, expect, it } from "vitest";
import { RegisterDatabase } from "../src/index";

const CHIPS = `<enum name="chip" bare="yes">
  <value name="A" value="1"/><value name="B" value="2"/><value name="C" value="3"/>
  <value name="D" value="4"/><value name="E" value="5"/>
</enum>`;

function db(body: string): RegisterDatabase {
  const files: Record<string, string> = {
    "root.xml": `<?xml version="1.0"?><database xmlns="http://nouveau.freedesktop.org/">${CHIPS}
      <domain name="D" bare="yes" prefix="chip">${body}</domain></database>`,
  };
  return RegisterDatabase.load("root.xml", (f) => files[f]!, "chip");
}

/** Which chips (by name) a register named R exists on. */
function presentOn(d: RegisterDatabase, addr = 0): string {
  return ["A", "B", "C", "D", "E"]
    .filter((_name, i) =>
      d
        .compile(d.chipVariant(i + 1).selection)
        .domain("D")
        .lookup(addr)
        .name.endsWith("R"),
    )
    .join("");
}

describe("variant ranges over the enum's declaration order", () => {
  it.each([
    ["C", "C"],
    ["B-D", "BCD"],
    ["B:D", "BC"],
    ["C-", "CDE"],
    [":C", "AB"],
    ["-C", "ABC"],
    ["A B-C E", "ABCE"],
  ])("variants=%s", (variants, expected) => {
    expect(presentOn(db(`<reg32 offset="0" name="R" variants="${variants}"/>`))).toBe(expected);
  });

  it("intersects an element's variants with its parent's", () => {
    const d = db(`<stripe variants="B-D"><reg32 offset="0" name="R" variants="C-"/></stripe>`);
    expect(presentOn(d)).toBe("CD");
  });

  it("drops items present on no variant and picks the first match in document order", () => {
    const d = db(`<stripe variants="B-C"><reg32 offset="0" name="X" variants="D-"/></stripe>
      <reg32 offset="0" name="OLD_R" variants=":C"/><reg32 offset="0" name="NEW_R"/>`);
    const names = [1, 2, 3, 4, 5].map(
      (c) => d.compile(d.chipVariant(c).selection).domain("D").lookup(0).name,
    );
    expect(names).toEqual(["OLD_R", "OLD_R", "NEW_R", "NEW_R", "NEW_R"]);
  });

  it("applies variants to bitfields and enum values", () => {
    const d = db(`<reg32 offset="0" name="R">
        <bitfield pos="0" name="OLD" variants=":C"/><bitfield pos="0" name="NEW" variants="C-"/>
        <bitfield low="4" high="7" name="MODE"><value value="1" name="ONE" variants="E"/></bitfield>
      </reg32>`);
    const decode = (chip: number) => {
      const c = d.compile(d.chipVariant(chip).selection);
      const info = c.domain("D").lookup(0);
      return c.decode(info.type, 0x11, 0, 32);
    };
    expect(decode(1)).toBe("{ OLD | MODE = 0x1 }");
    expect(decode(5)).toBe("{ NEW | MODE = ONE }");
  });

  it("arrays, stripes and use-group name accesses as envytools does", () => {
    const files: Record<string, string> = {
      "root.xml": `<database>${CHIPS}
        <group name="g"><reg32 offset="4" name="G"/></group>
        <domain name="D" bare="yes" prefix="chip">
          <array offset="0x100" name="ARR" stride="0x10" length="4">
            <reg32 offset="0" name="X"/><reg16 offset="8" name="Y" length="2"/><use-group name="g"/>
          </array>
          <stripe offset="0x200" stride="0x20" length="3"><reg32 offset="0" name="S"/></stripe>
          <stripe name="NS" offset="0x300" stride="0x20" length="2"><reg32 offset="4" name="T"/></stripe>
          <reg8 offset="0x400" name="B" length="4"/>
        </domain></database>`,
    };
    const d = RegisterDatabase.load("root.xml", (f) => files[f]!, "chip");
    const look = (a: number) => d.compileAny().domain("D").lookup(a).name;
    expect(look(0x100)).toBe("ARR[0].X");
    expect(look(0x132)).toBe("ARR[0x3].X+0x2");
    expect(look(0x12a)).toBe("ARR[0x2].Y[0x1]");
    expect(look(0x114)).toBe("ARR[0x1].G");
    expect(look(0x10c)).toBe("ARR[0]+0xc");
    expect(look(0x140)).toBe("0x140");
    expect(look(0x240)).toBe("S[0x2]");
    expect(look(0x324)).toBe("NS[0x1].T");
    expect(look(0x403)).toBe("B[0x3]");
    expect(look(0x404)).toBe("0x404");
  });
});
