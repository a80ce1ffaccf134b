import { z } from "zod";

export const submissionStatus = z.enum(["received", "processing", "done", "failed"]);

/**
 * What the uploader may say about the trace. metadata.json from the capture agent fits here; the
 * object stays open (unknown keys are kept) but what we read is typed and bounded.
 */
export const submissionMetadata = z.looseObject({
  title: z.string().max(200).optional(),
  kernel: z.string().max(500).optional(),
  driver: z
    .looseObject({ name: z.string().max(100).optional(), version: z.string().max(100).optional() })
    .optional(),
  hostname: z.string().max(255).optional(),
  /** Names of metadata keys the uploader wants visible to maintainers only. */
  private: z.array(z.string().max(100)).max(50).optional(),
});
export type SubmissionMetadata = z.infer<typeof submissionMetadata>;

/** Text fields of the multipart upload form, besides the `archive` file. */
export const uploadFields = z.object({
  description: z
    .string()
    .max(64 * 1024, "must be at most 64 KiB")
    .optional(),
  metadata: z
    .string()
    .max(256 * 1024, "must be at most 256 KiB")
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: "must be a JSON object" });
        return z.NEVER;
      }
    })
    .pipe(submissionMetadata)
    .optional(),
  contact_email: z.email().max(320).optional(),
});
export type UploadFields = z.infer<typeof uploadFields>;

export const submissionAccepted = z.object({ id: z.string(), status: submissionStatus, url: z.string() });

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
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  url: z.string(),
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
