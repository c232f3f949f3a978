import test from "ava";
import { connect } from "@nats-io/transport-node";
import { headers, type Msg } from "@nats-io/nats-core";
import { MsgHdrsImpl } from "@nats-io/nats-core/internal";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { findHeader, headerOf, jsMsgHeader, msgHeader, rawHeaderBlock } from "../../src/nats/raw-header.js";
import { startCluster, stopCluster, threeVersions, users } from "../helpers/cluster.js";

const encoder = new TextEncoder();
const NAMES = ["Nats-Msg-Id", "Nats-Stream", "Nats-Sequence", "Nats-Time-Stamp", "Nats-Subject", "Nats-Last-Sequence", "KV-Operation", "Nats-Msg-Size", "X", "Nats-Msg-Idx", "Msg-Id"];

/** A header block as a server writes one: a status line, then `Name: value` lines, then an empty line. */
function block(status: string, lines: string[]): Uint8Array {
  return encoder.encode([status, ...lines, "", ""].join("\r\n"));
}

test("reads the value nats.js reads, for drawn blocks: names in other cases, prefixes of other names, spacing, repeats, absent names", (t) => {
  let seed = 11;
  // The high bits: an LCG's low bits repeat with a short period, and some values were never drawn.
  const pick = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), Math.floor((seed / 2147483648) * n));
  const cases = (s: string) => [s, s.toLowerCase(), s.toUpperCase()][pick(3)]!;
  const drawn = new Set<string>();
  const values = ["cluster:east.1.1", "seen.cluster:west.2.9", "2026-11-27T20:00:00.123456789Z", "PURGE", "12345", "ünïcode ✓", "a:b:c", ""];
  for (let round = 0; round < 5000; round++) {
    const lines: string[] = [];
    for (let i = pick(8); i > 0; i--) {
      const space = [" ", "", "  ", "\t"][pick(4)]!;
      lines.push(`${cases(NAMES[pick(NAMES.length)]!)}:${space}${values[pick(values.length)]}${[" ", ""][pick(2)]}`);
    }
    const raw = block(["NATS/1.0", "NATS/1.0 503", "NATS/1.0 408 Request Timeout"][pick(3)]!, lines);
    const theirs = MsgHdrsImpl.decode(raw);
    for (const name of NAMES) {
      drawn.add(`${name}=${theirs.get(name)}`);
      const expected = theirs.get(name) || undefined;
      const got = findHeader(raw, name);
      if (got !== expected) return t.fail(`${JSON.stringify(lines)}: ${name} read ${JSON.stringify(got)}, nats.js ${JSON.stringify(expected)}`);
    }
  }
  // Every value, the empty one included, was read for every name at least once.
  for (const name of NAMES) for (const v of values.map((v) => v.trim())) t.true(drawn.has(`${name}=${v}`), `${name}=${v} never drawn`);
});

test("edge blocks: no headers after the status line, a last line without CRLF, a name at the very end", (t) => {
  t.is(findHeader(block("NATS/1.0", []), "Nats-Msg-Id"), undefined);
  t.is(findHeader(encoder.encode("NATS/1.0\r\nNats-Msg-Id: abc"), "Nats-Msg-Id"), "abc");
  t.is(findHeader(encoder.encode("NATS/1.0\r\nNats-Msg-Id"), "Nats-Msg-Id"), undefined);
  t.is(findHeader(encoder.encode("NATS/1.0"), "Nats-Msg-Id"), undefined);
  t.is(findHeader(encoder.encode("NATS/1.0\r\nNats_Msg_Id: x\r\n\r\n"), "Nats-Msg-Id"), undefined, "'_' is not '-' in another case");
  t.is(findHeader(encoder.encode("NATS/1.0\r\nNats-Msg-Id:  \r\nNats-Msg-Id: b\r\n\r\n"), "Nats-Msg-Id"), undefined, "an empty first value is none, as get(name) || undefined");
});

test("a message of the installed client has the shape read here: the raw block is read, not the fallback", async (t) => {
  const [, , newest] = threeVersions();
  const cluster = await startCluster([{ name: "rawhdr", binaries: [newest.path] }]);
  t.teardown(() => stopCluster(cluster));
  const nc = await connect({ servers: cluster.urls, user: users.admin.user, pass: users.admin.pass });
  t.teardown(() => nc.close());
  const got: Msg[] = [];
  nc.subscribe("raw.>", { callback: (_e, m) => void got.push(m) });
  const h = headers();
  h.set("Nats-Msg-Id", "cluster:east.3.7");
  h.set("Nats-Stream", "events");
  nc.publish("raw.with", "body", { headers: h });
  nc.publish("raw.without", "body");
  await nc.flush();
  await new Promise((r) => setTimeout(r, 100));
  const [withHeaders, without] = got;
  t.truthy(rawHeaderBlock(withHeaders), "nats.js changed how a message keeps its headers: headerOf would decode every header again");
  const fallback = () => "from the client";
  t.is(headerOf(withHeaders, "Nats-Msg-Id", fallback), "cluster:east.3.7");
  t.is(headerOf(withHeaders, "Nats-Stream", fallback), "events");
  t.is(headerOf(withHeaders, "nats-stream", fallback), undefined, "names match exactly, as the client's get");
  t.is(headerOf(withHeaders, "Nats-Sequence", fallback), undefined);
  t.is(rawHeaderBlock(without), null);
  t.is(headerOf(without, "Nats-Msg-Id", fallback), undefined);
  t.is(headerOf({}, "Nats-Msg-Id", fallback), "from the client", "another shape: the client's headers");
  t.is(msgHeader(withHeaders!, "Nats-Msg-Id"), "cluster:east.3.7");
  t.is(msgHeader(without!, "Nats-Msg-Id"), undefined);
  // A JetStream message wraps the core one: its headers as the stream stored them (the id included).
  await (await jetstreamManager(nc)).streams.add({ name: "RAWHDR", subjects: ["rawjs.>"] });
  const js = jetstream(nc);
  await js.publish("rawjs.one", "body", { msgID: "cluster:west.9.1" });
  const m = await (await js.consumers.get("RAWHDR")).next({ expires: 2000 });
  t.truthy(m);
  t.truthy(rawHeaderBlock((m as unknown as { msg: unknown }).msg), "nats.js changed how a JetStream message keeps the core one");
  t.is(jsMsgHeader(m!, "Nats-Msg-Id"), "cluster:west.9.1");
  t.is(jsMsgHeader(m!, "Nats-Msg-Id"), m!.headers?.get("Nats-Msg-Id"));
});
