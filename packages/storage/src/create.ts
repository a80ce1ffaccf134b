import { z } from "zod";
import type { BlobStore } from "./blob-store";
import { LocalBlobStore } from "./local-blob-store";
import { S3BlobStore } from "./s3-blob-store";

/** Storage settings, shared by every service's environment schema. */
export const storageEnv = {
  STORAGE_BACKEND: z.enum(["local", "s3"]).default("local"),
  S3_BUCKET: z.string().optional(),
  S3_PREFIX: z.string().default(""),
  S3_ENDPOINT: z.url().optional(),
  S3_REGION: z.string().default("us-east-1"),
  S3_ACCESS_KEY_ID: z.string().optional(),
  S3_SECRET_ACCESS_KEY: z.string().optional(),
  /** Path-style URLs (bucket in the path), as MinIO and most self-hosted servers want. */
  S3_FORCE_PATH_STYLE: z.stringbool().default(true),
};

export interface StorageConfig {
  STORAGE_DIR: string;
  STORAGE_BACKEND: "local" | "s3";
  S3_BUCKET?: string | undefined;
  S3_PREFIX: string;
  S3_ENDPOINT?: string | undefined;
  S3_REGION: string;
  S3_ACCESS_KEY_ID?: string | undefined;
  S3_SECRET_ACCESS_KEY?: string | undefined;
  S3_FORCE_PATH_STYLE: boolean;
}

/** The blob store the configuration names: a local directory (default) or an S3-compatible bucket. */
export function createBlobStore(config: StorageConfig): BlobStore {
  if (config.STORAGE_BACKEND === "local") return new LocalBlobStore(config.STORAGE_DIR);
  if (!config.S3_BUCKET) throw new Error("STORAGE_BACKEND=s3 needs S3_BUCKET");
  return new S3BlobStore({
    bucket: config.S3_BUCKET,
    prefix: config.S3_PREFIX,
    client: {
      region: config.S3_REGION,
      endpoint: config.S3_ENDPOINT,
      forcePathStyle: config.S3_FORCE_PATH_STYLE,
      ...(config.S3_ACCESS_KEY_ID && config.S3_SECRET_ACCESS_KEY
        ? {
            credentials: {
              accessKeyId: config.S3_ACCESS_KEY_ID,
              secretAccessKey: config.S3_SECRET_ACCESS_KEY,
            },
          }
        : {}),
    },
  });
}
