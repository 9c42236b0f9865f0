// The official tus-node-server (@tus/server with a file store) on loopback, as a target for
// the core's tus client. Usage: node tus-node-server.mjs <upload dir>
// Prints its base URL once listening; uploads live under <base URL>/v1/uploads.
import http from "node:http";
import { Server } from "@tus/server";
import { FileStore } from "@tus/file-store";

const [dir] = process.argv.slice(2);
const tus = new Server({ path: "/v1/uploads", datastore: new FileStore({ directory: dir }) });
const server = http.createServer((req, res) => tus.handle(req, res));
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address();
  console.log(`http://127.0.0.1:${port}`);
});
