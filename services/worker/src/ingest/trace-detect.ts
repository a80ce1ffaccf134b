/** Does this look like the start of an mmiotrace log? Decided by content, never by file name. */
export function looksLikeTrace(head: Buffer): boolean {
  const text = head
    .subarray(0, 4096)
    .toString("latin1")
    .replace(/^\uFEFF/, "");
  const first = text.split(/\r?\n/).find((l) => l.trim() !== "") ?? "";
  return /^(VERSION \d|PCIDEV [0-9a-f]{4} |LSPCI |MAP \d|MARK \d)/.test(first);
}
