import { z } from "zod";

export const submissionStatus = z.enum(["received", "processing", "done", "failed", "reprocessing"]);

/**
 * What the uploader may say about the trace. metadata.json from the capture agent fits here; the
 * object stays open (unknown keys are kept) but what we read is typed and bounded.
 */
export const submissionMetadata = z.looseObject({
  title: z.string().max(200).nullish(),
  kernel: z.string().max(500).nullish(),
  driver: z
    .looseObject({ name: z.string().max(100).nullish(), version: z.string().max(100).nullish() })
    .nullish(),
  hostname: z.string().max(255).nullish(),
  /** Names of metadata keys the uploader wants visible to maintainers only. */
  private: z.array(z.string().max(100)).max(50).optional(),
});
export type SubmissionMetadata = z.infer<typeof submissionMetadata>;

/** PostgreSQL text and jsonb cannot hold NUL: refuse it with a clear reason instead of failing later. */
export const NO_NUL = [(v: string) => !v.includes("\0"), "must not contain NUL characters"] as const;
function hasNul(value: unknown): boolean {
  if (typeof value === "string") return value.includes("\0");
  if (Array.isArray(value)) return value.some(hasNul);
  if (value && typeof value === "object")
    return Object.entries(value).some(([k, v]) => k.includes("\0") || hasNul(v));
  return false;
}

/** Text fields of the multipart upload form, besides the `archive` file. */
export const uploadFields = z.object({
  description: z
    .string()
    .max(64 * 1024, "must be at most 64 KiB")
    .refine(...NO_NUL)
    .optional(),
  metadata: z
    .string()
    .max(256 * 1024, "must be at most 256 KiB")
    .transform((text, ctx) => {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        ctx.addIssue({ code: "custom", message: "must be a JSON object" });
        return z.NEVER;
      }
      if (hasNul(value)) {
        ctx.addIssue({ code: "custom", message: "must not contain NUL characters (\\u0000)" });
        return z.NEVER;
      }
      return value;
    })
    .pipe(submissionMetadata)
    .optional(),
  contact_email: z.email().max(320).optional(),
});
export type UploadFields = z.infer<typeof uploadFields>;

export const submissionAccepted = z.object({
  id: z.string(),
  status: submissionStatus,
  url: z.string(),
  manageToken: z
    .string()
    .optional()
    .describe(
      "Shown once, to the uploader of a new submission: send it as a Bearer token to edit or withdraw",
    ),
  manageUrl: z.string().optional().describe("Private link to the submission's manage page"),
});

export const errorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

const device = z.object({
  position: z.number(),
  busDevfn: z.string(),
  vendorId: z.string(),
  deviceId: z.string(),
  pciId: z.string(),
  irq: z.number(),
  driver: z.string().nullable(),
});

export const submissionView = z.object({
  id: z.string(),
  status: submissionStatus,
  reasonCode: z.string().optional(),
  reason: z.string().optional(),
  archiveName: z.string(),
  archiveSize: z.number(),
  archiveSha256: z.string(),
  description: z.string().nullable(),
  /** Metadata as sent, without the keys the uploader marked private and without the hostname. */
  metadata: z.record(z.string(), z.unknown()),
  kernel: z.string().nullable(),
  driver: z.object({ name: z.string().nullable(), version: z.string().nullable() }),
  hidden: z.boolean(),
  withdrawnAt: z.string().nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  url: z.string(),
  /** Maintainers only: never present in a public answer. */
  protected: z
    .object({
      contactEmail: z.string().nullable(),
      hostname: z.string().nullable(),
      privateMetadata: z.record(z.string(), z.unknown()),
    })
    .optional()
    .describe("Maintainers only: contact email, hostname and the metadata keys the uploader marked private"),
  traces: z.array(
    z.object({
      id: z.string(),
      member: z.string(),
      textBytes: z.number(),
      lineCount: z.number(),
      recordCounts: z.record(z.string(), z.number()),
      devices: z.array(device),
    }),
  ),
});
export type SubmissionView = z.infer<typeof submissionView>;

export const submissionParams = z.object({ id: z.string().max(64) });

export const submissionPatch = z
  .object({
    description: z
      .string()
      .max(64 * 1024, "must be at most 64 KiB")
      .refine(...NO_NUL)
      .nullable()
      .optional(),
    hidden: z.boolean().optional().describe("Maintainers only: hide from listings and public pages"),
  })
  .strict()
  .refine((v) => v.description !== undefined || v.hidden !== undefined, {
    message: "nothing to change: send description and/or hidden",
  });
