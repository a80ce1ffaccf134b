// Checks a recorded mmiotrace (kernel text format) against the sequence kmod/edu_mmio documents,
// independently of our own parser: this is the ground truth the API's answers are compared to.
import { type Access, expectedSequence, probeSequence, type ScenarioName } from "./edu-sequence";
import { report, showAccess } from "./report";

/** The counts of the kernel's lost-event notices in a trace ("MARK 0.000000 Lost N events."). */
export function lostNoticesIn(text: string): number[] {
  return [...text.matchAll(/^MARK 0\.000000 Lost (\d+) events\.\r?$/gm)].map((m) => Number(m[1]));
}

/** Lost events the kernel reported in a trace, all notices together. */
export const lostEventsIn = (text: string): number => lostNoticesIn(text).reduce((a, b) => a + b, 0);

export function checkTrace(name: ScenarioName, text: string): void {
  const lines = text.replace(/\r/g, "").split("\n");
  const check = (what: string, ok: boolean, detail = "") => report(`${name}: ${what}`, ok, detail);

  const pcidev = lines.find((l) => l.startsWith("PCIDEV ") && l.split(" ")[2] === "123411e8");
  check("trace lists the edu device (PCIDEV 1234:11e8)", !!pcidev, pcidev ?? "no PCIDEV line for 123411e8");
  // Resource starts carry the region flags in their low bits.
  const bar0 = pcidev ? BigInt(`0x${pcidev.split(" ")[4]}`) & ~0xfn : -1n;

  const map = lines.find((l) => l.startsWith("MAP ") && BigInt(l.split(" ")[3] ?? "0") === bar0);
  check("the module's ioremap of BAR0 is traced (MAP)", !!map, map ?? `no MAP of 0x${bar0.toString(16)}`);
  const mapId = map?.split(" ")[2];

  const accesses: Access[] = [];
  for (const l of lines) {
    const f = l.split(" ");
    if ((f[0] === "R" || f[0] === "W") && f[3] === mapId && f[4] && f[5]) {
      accesses.push([f[0], Number(f[1]), Number(BigInt(f[4]) - bar0), BigInt(f[5])]);
    }
  }
  const lost = lines.filter((l) => /^MARK 0\.000000 Lost \d+ events\.$/.test(l));
  const lostCount = lostEventsIn(text);
  const want = expectedSequence(name);

  if (name === "lost") {
    check("the kernel reported lost events", lostCount > 0, lost.join("; ") || "no 'Lost N events' marker");
    const got = accesses.slice(0, probeSequence.length).map(showAccess).join(", ");
    check(
      "the first sequence is whole before the overflow",
      got === probeSequence.map(showAccess).join(", "),
      got,
    );
    // The ring buffer drops whole pages, markers included, so allow a few non-access records.
    const total = accesses.length + lostCount;
    check(
      "traced + lost events account for the module's accesses",
      total >= want.length && total <= want.length + 16,
      `${accesses.length} traced + ${lostCount} lost, module made ${want.length}`,
    );
  } else {
    check("no lost events", lostCount === 0, lost.join("; ") || "none");
    const got = accesses.map(showAccess).join(", ");
    const expected = want.map(showAccess).join(", ");
    check(
      "the accesses are exactly the documented sequence",
      got === expected,
      got === expected ? `${accesses.length} accesses` : `got ${got}; expected ${expected}`,
    );
  }
  const marks = lines
    .filter((l) => l.startsWith("MARK ") && !l.startsWith("MARK 0.000000 Lost "))
    .map((l) => l.split(" ").slice(2).join(" "));
  check("markers around insmod/rmmod are in the trace", marks.length >= 2, marks.join(" | "));
  const unmap = lines.some((l) => l.startsWith("UNMAP ") && l.split(" ")[2] === mapId);
  check("the module's iounmap is traced (UNMAP)", unmap);
}
