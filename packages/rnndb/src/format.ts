/** printf("%#x") as envytools uses it: "0" for zero, "0x..." otherwise. */
export function altHex(v: number | bigint): string {
  return v === 0 || v === 0n ? "0" : `0x${v.toString(16)}`;
}

/** printf("%f"): six decimals, C's spelling of infinities and NaN. */
export function cFloat(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (Math.abs(x) >= 1e21) return `${BigInt(Math.trunc(x)).toString()}.000000`;
  const s = x.toFixed(6);
  return Object.is(x, -0) ? `-${s}` : s;
}

export function hex64(lo: number, hi: number): string {
  return hi === 0 ? lo.toString(16) : hi.toString(16) + lo.toString(16).padStart(8, "0");
}
