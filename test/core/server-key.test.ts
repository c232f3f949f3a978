import test from "ava";
import { decodeServerKey, encodeServerKey } from "../../src/core/server-key.js";

// What NATS accepts as a KV key (nats.js validateKey), and one token under "servers.".
const kvSafe = /^servers\.[-/_=A-Za-z0-9]+$/;

const roundTrips = test.macro((t, name: string, key?: string) => {
  const encoded = encodeServerKey(name);
  t.regex(encoded, kvSafe);
  if (key !== undefined) t.is(encoded, key);
  t.is(decodeServerKey(encoded), name);
});

test("plain name stays readable", roundTrips, "nats-east_1", "servers.nats-east_1");
test("dots are escaped (they would split the key)", roundTrips, "n1.prod.example.com", "servers.n1=2Eprod=2Eexample=2Ecom");
test("the escape character escapes itself", roundTrips, "a=b", "servers.a=3Db");
test("spaces and wildcards", roundTrips, "my server *>", "servers.my=20server=20=2A=3E");
test("unicode", roundTrips, "серв-1 🚀");
test("a server id as name", roundTrips, "NCOI7THYAAHHAW4GYM4W2U7PTGNMYHE7HXEZAASGQBO2DXPBJFAJZPTD");

test("names that differ only in case or escaping get different keys", (t) => {
  t.not(encodeServerKey("A"), encodeServerKey("a"));
  t.not(encodeServerKey("a.b"), encodeServerKey("a=2Eb"));
});

test("an empty name is refused", (t) => {
  t.throws(() => encodeServerKey(""));
});

test("keys it did not produce do not decode", (t) => {
  t.is(decodeServerKey("other.abc"), undefined);
  t.is(decodeServerKey("servers."), undefined);
  t.is(decodeServerKey("servers.a=2"), undefined);
  t.is(decodeServerKey("servers.a=2e"), undefined); // lower-case hex is not ours
  t.is(decodeServerKey("servers.=FF"), undefined); // not UTF-8
  t.is(decodeServerKey("servers.=41"), undefined); // "A" would be written plain
});
