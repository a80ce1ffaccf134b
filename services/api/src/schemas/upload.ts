import { z } from "zod";
import { NO_NUL, uploadFields } from "./submission";

export const TUS_VERSION = "1.0.0";
export const TUS_EXTENSIONS = "creation,expiration,termination";

/** Upload ids are capabilities: 120 random bits, and the only part of a path on disk they reach. */
export const isUploadId = (id: string) => /^[a-z2-9]{24}$/.test(id);

export const uploadParams = z.object({ id: z.string().max(64) });

/** Headers of the tus requests, for the documentation; the handlers check them for tus' status codes. */
const tusResumable = z.string().optional().describe("Must be 1.0.0");
export const creationHeaders = z.looseObject({
  "tus-resumable": tusResumable,
  "upload-length": z.string().optional().describe("Size of the whole archive in bytes"),
  "upload-metadata": z
    .string()
    .optional()
    .describe(
      "Comma-separated `key base64(value)` pairs: sha256 (hex of the whole file, required), filename, " +
        "description, metadata (a JSON object), contact_email",
    ),
});
export const patchHeaders = z.looseObject({
  "tus-resumable": tusResumable,
  "upload-offset": z.string().optional().describe("Where this chunk starts; must equal the server's offset"),
  "content-type": z.string().optional().describe("application/offset+octet-stream"),
});
export const headHeaders = z.looseObject({ "tus-resumable": tusResumable });

/** The decoded Upload-Metadata we keep with the upload until it becomes a submission. */
export const uploadMetadata = z.object({
  sha256: z
    .string()
    .transform((v) => v.trim().toLowerCase())
    .pipe(z.string().regex(/^[0-9a-f]{64}$/, "must be the hex sha256 of the whole file (64 hex digits)")),
  filename: z
    .string()
    .max(255)
    .refine(...NO_NUL)
    .optional(),
  description: z.string().optional(),
  metadata: z.string().optional(),
  contact_email: z.string().optional(),
});
export type UploadMetadata = z.infer<typeof uploadMetadata>;

/** Form fields of the submission the upload becomes (validated when the upload is created). */
export const uploadSubmissionFields = uploadFields;

/** Parses `key base64,key base64` (tus): a key may come without a value. Null when malformed. */
export function parseUploadMetadata(header: string | undefined): Record<string, string> | null {
  const out: Record<string, string> = {};
  if (header === undefined || header.trim() === "") return out;
  for (const pair of header.split(",")) {
    const [key, value, extra] = pair.trim().split(/ +/);
    if (!key || extra !== undefined || !/^[!-~]+$/.test(key)) return null;
    if (value !== undefined && !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) return null;
    out[key] = value === undefined ? "" : Buffer.from(value, "base64").toString("utf8");
  }
  return out;
}
