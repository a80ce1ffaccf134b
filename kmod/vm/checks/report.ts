// The line protocol between the TypeScript checks and run.sh, and how accesses print in details.
import type { Access } from "./edu-sequence";

/** One check result, one line: "CHECK <1|0> <name> -- <detail>". */
export function report(name: string, ok: boolean, detail = ""): void {
  console.log(`CHECK ${ok ? 1 : 0} ${name} -- ${detail.replace(/\s+/g, " ").slice(0, 2000)}`);
}

export const showAccess = (a: Access): string =>
  `${a[0]}${a[1]} 0x${a[2].toString(16)}=0x${a[3].toString(16)}`;
