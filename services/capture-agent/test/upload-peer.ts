import { createHash, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A small real HTTP server speaking the upload contract of services/api (multipart POST
 * /api/v1/submissions; tus 1.0.0 with creation at /api/v1/uploads, sha256 checked at the end,
 * Mmiohub-Submission/Mmiohub-Url on the final PATCH). It is a test peer for the agent's client,
 * not a stand-in for our API: the end-to-end test runs the real API. It can be told to misbehave.
 */
export interface PeerUpload {
  id: string;
  length: number;
  metadata: Record<string, string>;
  data: Buffer[];
  offset: number;
}

export interface PeerEvent {
  method: string;
  url: string;
  authorization?: string | undefined;
  offset?: number;
  bytes?: number;
}

export interface UploadPeer {
  url: string;
  port: number;
  uploads: Map<string, PeerUpload>;
  submissions: Array<{
    id: string;
    sha256: string;
    metadata: string | undefined;
    description: string | undefined;
    size: number;
  }>;
  events: PeerEvent[];
  /** Cut the connection after this many bytes of the next PATCH body (once). */
  cutNextPatchAfter: number | undefined;
  /** Answer this many requests with 503 before behaving. */
  failNext: number;
  close(): Promise<void>;
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function parseMetadata(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (header ?? "").split(",")) {
    const [key, value] = pair.trim().split(" ");
    if (key) out[key] = Buffer.from(value ?? "", "base64").toString("utf8");
  }
  return out;
}

function parseMultipart(data: Buffer, boundary: string) {
  const fields: Record<string, Buffer> = {};
  const delimiter = Buffer.from(`--${boundary}`);
  let at = data.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (data.subarray(start, start + 2).toString() === "--") break;
    const headerEnd = data.indexOf("\r\n\r\n", start);
    const next = data.indexOf(delimiter, headerEnd);
    const headers = data.subarray(start, headerEnd).toString();
    const name = /name="([^"]+)"/.exec(headers)?.[1] ?? "";
    fields[name] = data.subarray(headerEnd + 4, next - 2);
    at = next;
  }
  return fields;
}

export async function startUploadPeer(port = 0): Promise<UploadPeer> {
  const peer: Omit<UploadPeer, "url" | "port" | "close"> = {
    uploads: new Map(),
    submissions: [],
    events: [],
    cutNextPatchAfter: undefined,
    failNext: 0,
  };
  const submit = (data: Buffer, metadata: string | undefined, description: string | undefined) => {
    const sha256 = createHash("sha256").update(data).digest("hex");
    const existing = peer.submissions.find((s) => s.sha256 === sha256);
    if (existing) return { created: false, id: existing.id };
    const id = `sub-${peer.submissions.length + 1}`;
    peer.submissions.push({ id, sha256, metadata, description, size: data.length });
    return { created: true, id };
  };
  const server: Server = createServer(async (req, res) => {
    const url = req.url ?? "/";
    const event: PeerEvent = { method: req.method ?? "", url, authorization: req.headers.authorization };
    peer.events.push(event);
    if (peer.failNext > 0) {
      peer.failNext--;
      await body(req).catch(() => {});
      res
        .writeHead(503, { "content-type": "application/json" })
        .end(JSON.stringify({ error: { code: "UNAVAILABLE", message: "try later" } }));
      return;
    }
    if (req.method === "POST" && url === "/api/v1/submissions") {
      const boundary = /boundary=(.+)$/.exec(req.headers["content-type"] ?? "")?.[1] ?? "";
      const fields = parseMultipart(await body(req), boundary);
      const archive = fields.archive;
      if (!archive || archive.length === 0) {
        res
          .writeHead(400, { "content-type": "application/json" })
          .end(JSON.stringify({ error: { code: "ARCHIVE_MISSING", message: "no archive" } }));
        return;
      }
      const { created, id } = submit(archive, fields.metadata?.toString(), fields.description?.toString());
      res
        .writeHead(created ? 202 : 200, { "content-type": "application/json" })
        .end(JSON.stringify({ id, status: "received", url: `/submissions/${id}` }));
      return;
    }
    if (req.method === "POST" && url === "/api/v1/uploads") {
      const id = randomUUID();
      const metadata = parseMetadata(req.headers["upload-metadata"] as string | undefined);
      peer.uploads.set(id, {
        id,
        length: Number(req.headers["upload-length"]),
        metadata,
        data: [],
        offset: 0,
      });
      await body(req);
      res.writeHead(201, { Location: `/api/v1/uploads/${id}`, "Tus-Resumable": "1.0.0" }).end();
      return;
    }
    const upload = peer.uploads.get(url.replace("/api/v1/uploads/", ""));
    if (upload === undefined) {
      res.writeHead(404).end();
      return;
    }
    if (req.method === "HEAD") {
      res
        .writeHead(200, {
          "Upload-Offset": upload.offset,
          "Upload-Length": upload.length,
          "Cache-Control": "no-store",
        })
        .end();
      return;
    }
    if (req.method === "PATCH") {
      const offset = Number(req.headers["upload-offset"]);
      event.offset = offset;
      if (offset !== upload.offset) {
        await body(req).catch(() => {});
        res.writeHead(409).end();
        return;
      }
      const cut = peer.cutNextPatchAfter;
      let received = 0;
      for await (const chunk of req) {
        const piece = chunk as Buffer;
        if (cut !== undefined && received + piece.length > cut) {
          // Keep what arrived before the cut, as a server writing to disk would, then drop the line.
          const kept = piece.subarray(0, cut - received);
          upload.data.push(Buffer.from(kept));
          upload.offset += kept.length;
          received += kept.length;
          peer.cutNextPatchAfter = undefined;
          event.bytes = received;
          req.socket.destroy();
          return;
        }
        upload.data.push(Buffer.from(piece));
        upload.offset += piece.length;
        received += piece.length;
      }
      event.bytes = received;
      const headers: Record<string, string | number> = {
        "Upload-Offset": upload.offset,
        "Tus-Resumable": "1.0.0",
      };
      if (upload.offset === upload.length) {
        const data = Buffer.concat(upload.data);
        const sha256 = createHash("sha256").update(data).digest("hex");
        if (sha256 !== upload.metadata.sha256) {
          res
            .writeHead(422, { "content-type": "application/json" })
            .end(JSON.stringify({ error: { code: "CHECKSUM_MISMATCH", message: "sha256 differs" } }));
          return;
        }
        const { id } = submit(data, upload.metadata.metadata, upload.metadata.description);
        headers["Mmiohub-Submission"] = id;
        headers["Mmiohub-Url"] = `/submissions/${id}`;
      }
      res.writeHead(204, headers).end();
      return;
    }
    res.writeHead(405).end();
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const actual = (server.address() as AddressInfo).port;
  return Object.assign(peer as UploadPeer, {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
