// Uploads a file to a tus server with the official tus-js-client (Node), as a browser or a
// React Native shipper app would: chunked, resumable, with metadata.
// Usage: node tus-js-upload.mjs <endpoint> <bearer token> <order id> <file> <chunk bytes>
// Prints the upload URL on success; exits non-zero with the error otherwise.
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import * as tus from "tus-js-client";

const [endpoint, token, order, path, chunk] = process.argv.slice(2);
const file = readFileSync(path);
const sha256 = createHash("sha256").update(file).digest("hex");
let patches = 0;

const upload = new tus.Upload(file, {
  endpoint,
  chunkSize: Number(chunk),
  retryDelays: [0, 100, 500],
  headers: { Authorization: `Bearer ${token}` },
  metadata: { order, kind: "delivery", sha256, filename: "photo.jpg" },
  onBeforeRequest(req) {
    if (req.getMethod() === "PATCH") patches += 1;
  },
  onError(error) {
    console.error(`tus-js-client failed: ${error}`);
    process.exit(1);
  },
  onSuccess() {
    console.log(JSON.stringify({ url: upload.url, patches, bytes: file.length, sha256 }));
  },
});
upload.start();
