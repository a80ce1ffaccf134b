import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiToken } from "../src/services/auth-tokens";
import { multipart, startApi } from "./helpers";
import { createUpload, payload } from "./tus";

// Anonymous uploads are counted per client address in Redis (shared by every API instance).
let api: Awaited<ReturnType<typeof startApi>>;
let other: Awaited<ReturnType<typeof startApi>>;
beforeAll(async () => {
  api = await startApi({ ANON_UPLOAD_LIMIT: "2", ANON_UPLOAD_WINDOW_SECONDS: "600" });
  other = await startApi({
    ANON_UPLOAD_LIMIT: "2",
    ANON_UPLOAD_WINDOW_SECONDS: "600",
    QUEUE_PREFIX: api.prefix,
  });
});
afterAll(async () => {
  await other?.app.close();
  await api?.close();
});

const post = (app: typeof api.app, remoteAddress: string, headers: Record<string, string> = {}) => {
  const form = multipart([{ name: "archive", value: payload(32), filename: "a.xz" }]);
  return app.inject({
    method: "POST",
    url: "/api/v1/submissions",
    remoteAddress,
    payload: form.payload,
    headers: { ...form.headers, ...headers },
  });
};

describe("anonymous upload rate limit", () => {
  it("answers 429 with Retry-After once a client used its uploads, across instances and both upload kinds", async () => {
    expect((await post(api.app, "10.1.0.1")).statusCode).toBe(202);
    // The second upload lands on another instance: the count is shared through Redis.
    expect((await post(other.app, "10.1.0.1")).statusCode).toBe(202);
    const third = await post(api.app, "10.1.0.1");
    expect(third.statusCode).toBe(429);
    expect(third.json().error.code).toBe("RATE_LIMITED");
    expect(third.json().error.message).toMatch(/too many anonymous uploads from this address: 2 per 600 s/);
    const retryAfter = Number(third.headers["retry-after"]);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(600);
    // A resumable upload is an upload too.
    const tus = await api.app.inject({
      method: "POST",
      url: "/api/v1/uploads",
      remoteAddress: "10.1.0.1",
      headers: { "tus-resumable": "1.0.0", "upload-length": "10" },
    });
    expect(tus.statusCode, tus.body).toBe(429);
  });

  it("counts each client on its own and does not count token holders", async () => {
    expect((await post(api.app, "10.1.0.2")).statusCode).toBe(202);
    const token = (await createApiToken(api.prisma, { name: "carol", role: "contributor" })).token;
    for (let i = 0; i < 3; i++) {
      expect((await post(api.app, "10.1.0.1", { authorization: `Bearer ${token}` })).statusCode).toBe(202);
    }
    const created = await createUpload(api.app, payload(10), {}, { authorization: `Bearer ${token}` });
    expect(created.statusCode).toBe(201);
  });

  it("does not limit reading", async () => {
    for (let i = 0; i < 5; i++) {
      const res = await api.app.inject({
        method: "GET",
        url: "/api/v1/traces?limit=1",
        remoteAddress: "10.1.0.1",
      });
      expect(res.statusCode).toBe(200);
    }
  });
});
