import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Readable } from "node:stream";

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

export interface HttpOptions {
  method: string;
  headers?: Record<string, string | number>;
  body?: Buffer | Readable;
  timeoutMs?: number;
}

/** A failure worth trying again later: no network, a reset, a timeout, 5xx, 408 or 429. */
export class TransientError extends Error {
  readonly code = "UPLOAD_TRANSIENT";
}

/** The server said no for good (4xx): trying again will not help. */
export class RejectedError extends Error {
  constructor(
    readonly status: number,
    readonly serverCode: string,
    message: string,
  ) {
    super(message);
  }
}

export function send(url: string, options: HttpOptions): Promise<HttpResponse> {
  const target = new URL(url);
  const request = target.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      { method: options.method, headers: options.headers, timeout: options.timeoutMs ?? 60_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        res.on("error", (error) => reject(new TransientError(`${options.method} ${url}: ${error.message}`)));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", (error) => reject(new TransientError(`${options.method} ${url}: ${error.message}`)));
    const body = options.body;
    if (body === undefined) req.end();
    else if (Buffer.isBuffer(body)) req.end(body);
    else {
      body.on("error", (error) => req.destroy(error));
      body.pipe(req);
    }
  });
}

/** Turns a non-2xx answer into the right error, with the server's own message when it sent one. */
export function failure(response: HttpResponse, what: string): Error {
  let code = `HTTP_${response.status}`;
  let message = response.text.slice(0, 300);
  try {
    const body = JSON.parse(response.text) as { error?: { code?: string; message?: string } };
    if (body.error?.code) code = body.error.code;
    if (body.error?.message) message = body.error.message;
  } catch {
    // not JSON
  }
  const text = `${what}: ${response.status} ${code}${message ? `: ${message}` : ""}`;
  if (response.status >= 500 || response.status === 408 || response.status === 429)
    return new TransientError(text);
  return new RejectedError(response.status, code, text);
}

export function authHeaders(token: string | undefined): Record<string, string> {
  return token ? { Authorization: `Bearer ${token}` } : {};
}
