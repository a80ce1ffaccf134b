import type { RegisterDatabase } from "@mmiohub/rnndb";
import type { BusyRegister } from "./pages-trace";

const hex6 = (n: number) => `0x${n.toString(16).padStart(6, "0")}`;

/**
 * Names BAR0 registers of a trace's NVIDIA cards with the register database (for the activity
 * plot and the register filter); anything else keeps its bare offset, as demmio prints it.
 */
export function registerNamer(
  db: RegisterDatabase | undefined,
  cards: { cardIndex: number; vendorId: number; chipset: number | null }[],
): (r: Pick<BusyRegister, "cardIndex" | "bar" | "offset">) => string {
  const domains = new Map<number, ReturnType<ReturnType<RegisterDatabase["compile"]>["domain"]>>();
  if (db) {
    for (const c of cards) {
      if (c.vendorId !== 0x10de) continue;
      try {
        const variant = c.chipset == null ? undefined : db.chipVariant(c.chipset);
        const compiled = variant ? db.compile(variant.selection) : db.compileAny();
        domains.set(c.cardIndex, compiled.domain("NV_MMIO"));
      } catch {
        // A database without NV_MMIO (not envytools'): offsets it is.
      }
    }
  }
  return (r) => {
    const domain = r.bar === 0 ? domains.get(r.cardIndex) : undefined;
    const info = domain?.lookup(r.offset);
    return info?.known ? info.name : r.bar === 0 ? hex6(r.offset) : `BAR${r.bar}+${hex6(r.offset)}`;
  };
}
