// The protocol's floor for `versions.report`: a separate process whose only work is to answer
// `versions.bench.floor` with a pre-built buffer of a given size (set on `versions.bench.floor.size`).
// It pays for the same network hop, subject routing and payload copy as the service, and nothing else.
// Usage: floor-server.ts URL USER PASS
import { connect } from "@nats-io/transport-node";

const [url, user, pass] = process.argv.slice(2);
const nc = await connect({ servers: url!, user: user!, pass: pass!, name: "bench-floor" });
let buffer = new Uint8Array(0);
nc.subscribe("versions.bench.floor.size", {
  callback: (_err, msg) => {
    buffer = new Uint8Array(Number(new TextDecoder().decode(msg.data))).fill(0x20);
    msg.respond(String(buffer.length));
  },
});
nc.subscribe("versions.bench.floor", {
  callback: (_err, msg) => {
    msg.respond(buffer);
  },
});
await nc.flush();
process.stdout.write("ready\n");
process.on("SIGTERM", () => void nc.close().then(() => process.exit(0)));
