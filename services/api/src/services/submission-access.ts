import { AppError } from "../errors";
import { type Auth, isMaintainer, manageTokenMatches } from "./auth-tokens";

/** What a requester is to one submission. */
export type SubmissionAccess = "maintainer" | "owner" | "public";

export interface OwnedSubmission {
  id: string;
  uploaderTokenId: string | null;
  manageTokenHash: string | null;
  hidden: boolean;
  withdrawnAt: Date | null;
}

/** The owner is whoever holds its manage token, or the API token it was uploaded with. */
export function accessOf(auth: Auth, s: OwnedSubmission): SubmissionAccess {
  if (isMaintainer(auth)) return "maintainer";
  if (auth.kind === "token" && s.uploaderTokenId !== null && auth.id === s.uploaderTokenId) return "owner";
  if (auth.kind === "manage" && manageTokenMatches(auth.token, s.manageTokenHash)) return "owner";
  return "public";
}

/**
 * What the public may see, the same for the JSON API and the pages: a hidden submission (and its
 * traces) does not exist for them (404); a withdrawn one existed and is gone on purpose (410 Gone),
 * which tells a reader of an old link what happened instead of "no such thing".
 */
export function requirePublic(s: { hidden: boolean; withdrawnAt: Date | null }, what: string): void {
  if (s.hidden) throw new AppError("NOT_FOUND", `no ${what}`);
  if (s.withdrawnAt)
    throw new AppError("SUBMISSION_WITHDRAWN", `${what} was withdrawn by its uploader or a maintainer`);
}

/** Hidden submissions do not exist for the public; withdrawn ones are gone. Owners and maintainers still see both. */
export function requireVisible(auth: Auth, s: OwnedSubmission): SubmissionAccess {
  const access = accessOf(auth, s);
  if (access === "public") requirePublic(s, `submission ${s.id}`);
  return access;
}

/** Editing and withdrawing: the owner or a maintainer. */
export function requireManage(auth: Auth, s: OwnedSubmission): Exclude<SubmissionAccess, "public"> {
  const access = accessOf(auth, s);
  if (access !== "public") return access;
  if (auth.kind === "anonymous") {
    throw new AppError(
      "AUTH_REQUIRED",
      "send the submission's manage token (or your API token) as a Bearer token",
    );
  }
  throw new AppError("FORBIDDEN", `this token may not change submission ${s.id}`);
}
