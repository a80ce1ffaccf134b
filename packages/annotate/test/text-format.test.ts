import { describe, expect, it } from "vitest";
import { DemmioWriter, newAccess, plainAscii, TextBuffer, type TextFormat } from "../src";

// A writer given a buffer with a format writes each line as part of a document: the format's line
// end for "\n", text that is not plain through the format's escape, the same characters otherwise.

const ARRAY_OF_STRINGS: TextFormat = {
  lineEnd: new Uint8Array(Buffer.from('","')),
  plain: plainAscii('"\\'),
  escape: (s) => JSON.stringify(s).slice(1, -1),
};
const CELL: TextFormat = {
  lineEnd: new Uint8Array(Buffer.from("<br>")),
  plain: plainAscii("&<>\"'`"),
  escape: (s) => s.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`),
};

/** The same calls on a writer of demmio text and on one writing into `format`. */
function both(format: TextFormat | undefined, write: (w: DemmioWriter) => void): string {
  const out = new TextBuffer(16);
  out.format = format;
  const w = new DemmioWriter({ out });
  write(w);
  return out.buf.toString("utf8", 0, out.pos);
}

const register = { name: 'PMC."ID"', type: undefined, width: 32 } as never;

function lines(w: DemmioWriter): void {
  const a = newAccess();
  a.sec = 12;
  a.usec = 345;
  a.width = 4;
  a.write = true;
  a.offset = 0x1700;
  a.valueLo = 0x20;
  w.register(a, register, 0x20, 0, undefined);
  w.raw('MARK 12.000346 say "hi" <b> \\ é\n');
  w.lost(7);
}

describe("a writer into a formatted buffer", () => {
  it("writes demmio's text by default, line ends and all", () => {
    expect(both(undefined, lines)).toBe(
      [
        '[0] 12.000345 MMIO32 W 0x001700 0x00000020 PMC."ID" <= 0x20',
        'MARK 12.000346 say "hi" <b> \\ é',
        "LOST 7 events: the kernel's buffer overflowed, accesses are missing before this point",
        "",
      ].join("\n"),
    );
  });

  it("writes JSON strings' contents: what needs it escaped, lines ending in the format's end", () => {
    const text = both(ARRAY_OF_STRINGS, lines);
    // the row writes the first quote and takes back the last `,"`
    expect(JSON.parse(`["${text.slice(0, -2)}]`)).toEqual(both(undefined, lines).split("\n").slice(0, -1));
  });

  it("writes HTML: the operator, names and marker text escaped, <br> between lines", () => {
    expect(both(CELL, lines)).toBe(
      [
        "[0] 12.000345 MMIO32 W 0x001700 0x00000020 PMC.&#34;ID&#34; &#60;= 0x20",
        "MARK 12.000346 say &#34;hi&#34; &#60;b&#62; \\ é",
        "LOST 7 events: the kernel&#39;s buffer overflowed, accesses are missing before this point",
        "",
      ].join("<br>"),
    );
  });
});
