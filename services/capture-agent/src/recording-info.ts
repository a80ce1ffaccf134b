import { z } from "zod";

export const TRACE_FILE = "trace.mmiotrace.xz";
export const RECORDING_FILE = "recording.json";
export const METADATA_FILE = "metadata.json";
export const DESCRIPTION_FILE = "description.txt";
/** The name of the trace inside the archive. */
export const TRACE_MEMBER = "trace.mmiotrace";

/** What `record` leaves next to the trace: how it was recorded and what the checks found. */
export const recordingInfoSchema = z.object({
  formatVersion: z.literal(1),
  startedAt: z.string(),
  endedAt: z.string(),
  stoppedBy: z.string(),
  tracefs: z.string(),
  bufferKb: z.number(),
  compressor: z.string(),
  traceFile: z.string(),
  textBytes: z.number(),
  lines: z.number(),
  sha256: z.string(),
  lostEvents: z.number(),
  versionSeen: z.boolean(),
  pciDevices: z.number(),
  markers: z.number(),
  card: z
    .object({
      pciId: z.string(),
      boot0: z.string().nullable(),
      chipset: z.string(),
      family: z.string(),
      name: z.string().nullable(),
    })
    .nullable(),
  steps: z.array(
    z.object({
      step: z.number(),
      command: z.string().optional(),
      phase: z.string().optional(),
      exitCode: z.number().optional(),
      startedAt: z.string(),
      endedAt: z.string(),
    }),
  ),
  issues: z.array(z.string()),
  kernelLog: z.array(z.string()),
});
export type RecordingInfo = z.infer<typeof recordingInfoSchema>;
