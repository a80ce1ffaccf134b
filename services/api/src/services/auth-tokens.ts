import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Db, TokenRole } from "@mmiohub/db";
import { newId } from "./submission-service";

/**
 * Bearer tokens. API tokens (`mmh_…`) belong to a contributor or a maintainer; manage tokens
 * (`mmhm_…`) are handed to an uploader once and act on their one submission. Only sha256 hashes
 * are stored; the prefix tells the two apart without a lookup.
 */
export const API_TOKEN_PREFIX = "mmh_";
export const MANAGE_TOKEN_PREFIX = "mmhm_";

/** Who is asking. Routes decide what each may do; the auth plugin only says who it is. */
export type Auth =
  | { kind: "anonymous" }
  | { kind: "token"; id: string; name: string; role: TokenRole }
  /** The bearer of a submission's manage token (checked against that submission by the route). */
  | { kind: "manage"; token: string };

export const isMaintainer = (auth: Auth) => auth.kind === "token" && auth.role === "maintainer";
export const tokenIdOf = (auth: Auth) => (auth.kind === "token" ? auth.id : null);

export const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

function newSecret(prefix: string): string {
  return `${prefix}${randomBytes(24).toString("base64url")}`;
}

export function newManageToken(): { token: string; hash: string } {
  const token = newSecret(MANAGE_TOKEN_PREFIX);
  return { token, hash: hashToken(token) };
}

/** True when `token` is the manage token whose hash is stored (constant time). */
export function manageTokenMatches(token: string, storedHash: string | null): boolean {
  if (!storedHash) return false;
  const a = Buffer.from(hashToken(token), "hex");
  const b = Buffer.from(storedHash, "hex");
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface CreatedToken {
  id: string;
  name: string;
  role: TokenRole;
  expiresAt: Date | null;
  /** The secret itself: shown once, never stored. */
  token: string;
}

export async function createApiToken(
  db: Db,
  input: { name: string; role: TokenRole; expiresAt?: Date | null },
): Promise<CreatedToken> {
  const token = newSecret(API_TOKEN_PREFIX);
  const row = await db.apiToken.create({
    data: {
      id: newId(),
      name: input.name,
      role: input.role,
      tokenHash: hashToken(token),
      expiresAt: input.expiresAt ?? null,
    },
  });
  return { id: row.id, name: row.name, role: row.role, expiresAt: row.expiresAt, token };
}

export async function revokeApiToken(db: Db, id: string): Promise<boolean> {
  const { count } = await db.apiToken.updateMany({
    where: { id, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  return count === 1;
}

export type TokenCheck =
  | { ok: true; id: string; name: string; role: TokenRole }
  | { ok: false; reason: "unknown" | "revoked" | "expired" };

/** Looks an API token up by its hash; records its use at most once a minute. */
export async function checkApiToken(db: Db, token: string, now = new Date()): Promise<TokenCheck> {
  const row = await db.apiToken.findUnique({ where: { tokenHash: hashToken(token) } });
  if (!row) return { ok: false, reason: "unknown" };
  if (row.revokedAt) return { ok: false, reason: "revoked" };
  if (row.expiresAt && row.expiresAt <= now) return { ok: false, reason: "expired" };
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > 60_000) {
    await db.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: now } });
  }
  return { ok: true, id: row.id, name: row.name, role: row.role };
}
