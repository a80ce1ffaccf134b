import type { Db } from "@mmiohub/db";
import type { FastifyRequest } from "fastify";
import { API_TOKEN_PREFIX, type Auth, checkApiToken } from "./auth-tokens";

export const SESSION_COOKIE = "mmiohub_token";

export function cookieValue(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/**
 * Who is asking, for the pages: a browser cannot send a Bearer header on navigation, so a token
 * the maintainer entered on /login travels in an HttpOnly, SameSite=Strict cookie. A Bearer
 * header (resolved by the auth plugin) wins; a bad or expired cookie token is just anonymous.
 */
export async function pageAuth(db: Db, request: FastifyRequest): Promise<Auth> {
  if (request.auth && request.auth.kind !== "anonymous") return request.auth;
  return tokenAuth(db, cookieValue(request, SESSION_COOKIE));
}

/** An API token as the pages see it: valid, or anonymous. */
export async function tokenAuth(db: Db, token: string | undefined): Promise<Auth> {
  if (!token?.startsWith(API_TOKEN_PREFIX)) return { kind: "anonymous" };
  const check = await checkApiToken(db, token);
  return check.ok
    ? { kind: "token", id: check.id, name: check.name, role: check.role }
    : { kind: "anonymous" };
}

/**
 * Forms that change something must come from our own pages: the cookie is SameSite=Strict, and
 * the browser's Origin (or Referer) must name this host.
 */
export function sameOrigin(request: FastifyRequest): boolean {
  const source = request.headers.origin ?? request.headers.referer;
  if (!source) return false;
  try {
    return new URL(source).host === request.headers.host;
  } catch {
    return false;
  }
}
