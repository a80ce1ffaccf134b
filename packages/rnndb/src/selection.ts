import type { VarCond } from "./prepared";

/**
 * Which variant of each varset a compiled lookup is for. `known` maps an enum name to the index
 * of the chosen value; an enum in `unknown` is one whose value the database does not have (a chip
 * newer than the database, or one not identified yet). For those, items present on every variant
 * match plainly; items present on the database's newest variant (open ranges such as `NV10-`) are
 * assumed to go on and match, flagged; items that ended before it are left out, flagged. Enums in
 * neither are treated as envytools does when no variant was chosen: every item matches.
 */
export interface Selection {
  known: ReadonlyMap<string, number>;
  unknown: ReadonlySet<string>;
}

/** `assumed`: kept on an unknown chip by extrapolation; `excluded`: left out on an unknown chip. */
export type CondResult = "match" | "nomatch" | "assumed" | "excluded";

export function evalConds(conds: readonly VarCond[], sel: Selection): CondResult {
  let result: CondResult = "match";
  for (const c of conds) {
    const idx = sel.known.get(c.enumName);
    if (idx !== undefined) {
      if (!c.allowed[idx]) return "nomatch";
    } else if (!c.all && sel.unknown.has(c.enumName)) {
      if (!c.allowed[c.allowed.length - 1]) return "excluded";
      result = "assumed";
    }
  }
  return result;
}

export function selectionKey(sel: Selection): string {
  const known = [...sel.known].map(([k, v]) => `${k}=${v}`).sort();
  const unknown = [...sel.unknown].map((k) => `${k}=?`).sort();
  return [...known, ...unknown].join(",");
}
