import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { AppError } from "../../errors";
import { API_TOKEN_PREFIX, type Auth, checkApiToken, MANAGE_TOKEN_PREFIX } from "../../services/auth-tokens";

export type { Auth };

declare module "fastify" {
  interface FastifyRequest {
    auth: Auth;
  }
}

const ANONYMOUS: Auth = { kind: "anonymous" };
const AUTH = Symbol("auth");
type WithAuth = { [AUTH]?: Auth };

function unauthorized(
  reply: FastifyReply,
  code: "TOKEN_INVALID" | "TOKEN_EXPIRED" | "TOKEN_REVOKED",
  message: string,
) {
  // RFC 6750: name the scheme and why the token was refused.
  reply.header("www-authenticate", `Bearer realm="mmiohub", error="invalid_token"`);
  return new AppError(code, message);
}

/**
 * Resolves `Authorization: Bearer <token>` on every request. No header means anonymous; a header
 * that does not name a valid token is refused (401) rather than quietly treated as anonymous, so a
 * client with a mistyped or expired token finds out at once.
 */
export function registerAuth(app: FastifyInstance): void {
  // A getter/setter pair: fastify refuses object values as request decorations.
  app.decorateRequest("auth", {
    getter(this: FastifyRequest) {
      return (this as unknown as WithAuth)[AUTH] ?? ANONYMOUS;
    },
    setter(this: FastifyRequest, value: Auth) {
      (this as unknown as WithAuth)[AUTH] = value;
    },
  });
  app.addHook("onRequest", async (request, reply) => {
    request.auth = ANONYMOUS;
    const header = request.headers.authorization;
    if (header === undefined || header === "") return;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const token = m?.[1] ?? "";
    if (token.startsWith(MANAGE_TOKEN_PREFIX)) {
      request.auth = { kind: "manage", token };
      return;
    }
    if (!token.startsWith(API_TOKEN_PREFIX)) {
      throw unauthorized(
        reply,
        "TOKEN_INVALID",
        "Authorization must be 'Bearer <token>' with an mmiohub token",
      );
    }
    const check = await checkApiToken(app.deps.prisma, token);
    if (!check.ok) {
      const [code, message] =
        check.reason === "expired"
          ? (["TOKEN_EXPIRED", "this token has expired; ask a maintainer for a new one"] as const)
          : check.reason === "revoked"
            ? (["TOKEN_REVOKED", "this token was revoked"] as const)
            : (["TOKEN_INVALID", "unknown token"] as const);
      throw unauthorized(reply, code, message);
    }
    request.auth = { kind: "token", id: check.id, name: check.name, role: check.role };
  });
}
