import { z } from "zod";

/**
 * What the worker reads of an uploader's metadata (the upload form's `metadata` field and the
 * capture agent's metadata.json): loose, so unknown keys and other tools' files still pass.
 */
export const uploaderMetadata = z.looseObject({
  kernel: z.string().max(500).optional().catch(undefined),
  driver: z
    .looseObject({
      name: z.string().max(100).nullish().catch(undefined),
      version: z.string().max(100).nullish().catch(undefined),
    })
    .nullish()
    .catch(undefined),
  gpus: z
    .array(
      z.looseObject({
        slot: z.string().max(64).nullish().catch(undefined),
        pciId: z.string().max(16).nullish().catch(undefined),
        subsystem: z.string().max(16).nullish().catch(undefined),
        driver: z.string().max(100).nullish().catch(undefined),
      }),
    )
    .max(64)
    .optional()
    .catch(undefined),
});
export type UploaderMetadata = z.infer<typeof uploaderMetadata>;

/** Parses metadata text or a stored JSON value; null when it is not a JSON object. */
export function readMetadata(value: unknown): UploaderMetadata | null {
  let v = value;
  if (typeof v === "string") {
    try {
      v = JSON.parse(v);
    } catch {
      return null;
    }
  }
  const parsed = uploaderMetadata.safeParse(v);
  return parsed.success ? parsed.data : null;
}

/** "0000:01:00.0" or "01:00.0" -> "01:00.0" (the trace core's slot form). */
export function shortSlot(slot: string): string {
  const m = /^(?:[0-9a-f]{4}:)?([0-9a-f]{2}:[0-9a-f]{2}\.[0-7])$/i.exec(slot.trim());
  return m ? m[1]!.toLowerCase() : slot.trim().toLowerCase();
}

/** "10de:0fc6" -> [0x10de, 0x0fc6], or null. */
export function parsePciId(id: string | null | undefined): [number, number] | null {
  const m = /^([0-9a-f]{4}):([0-9a-f]{4})$/i.exec(id?.trim() ?? "");
  return m ? [Number.parseInt(m[1]!, 16), Number.parseInt(m[2]!, 16)] : null;
}
