import test from "ava";
import { isoTime, parseIsoTime } from "../../src/core/iso-time.js";

test("writes what toISOString writes: across days, years, leap days, millisecond edges and fractions", (t) => {
  const fixed = [0, 1, 999, 1000, 59_999, 86_399_999, 86_400_000, 951_782_400_000, 951_868_799_999, 1_709_164_800_000, 1.5, 999.999, 253_402_300_799_999];
  let seed = 17;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  const drawn = Array.from({ length: 20_000 }, () => Math.floor(random() * 2 ** 31) * 100_000 + random() * 1000);
  for (const ms of [...fixed, ...drawn]) {
    const expected = new Date(ms).toISOString();
    if (isoTime(ms) !== expected) return t.fail(`${ms}: ${isoTime(ms)} against ${expected}`);
  }
  t.pass();
});

test("outside the fast path (before 1970, past 9999) it is Date's own; an invalid time throws as Date does", (t) => {
  for (const ms of [-1, -86_400_001, -62_198_755_200_000, 253_402_300_800_000, 8.64e15]) t.is(isoTime(ms), new Date(ms).toISOString());
  t.throws(() => isoTime(Number.NaN), { instanceOf: RangeError });
  t.throws(() => isoTime(8.64e15 + 1), { instanceOf: RangeError });
});

test("parseIsoTime reads every text as Date.parse does: what isoTime writes, and thousands of mangled copies", (t) => {
  let seed = 29;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const texts = Array.from({ length: 20_000 }, () => new Date(Math.floor((random() - 0.3) * 2 ** 31) * 150_000 + Math.floor(random() * 1000)).toISOString());
  const chars = "0123456789-T:.Z tz+/ aX".split("");
  const mangled = texts.slice(0, 10_000).map((text) => {
    const at = Math.floor(random() * text.length);
    return random() < 0.5 ? text.slice(0, at) + pick(chars) + text.slice(at + 1) : text.slice(0, at) + text.slice(at + 1) + pick(["", "Z", "0"]);
  });
  const edges = [
    "2026-02-30T00:00:00.000Z", "2026-02-31T12:00:00.000Z", "2026-13-01T00:00:00.000Z", "2026-00-10T00:00:00.000Z", "2026-11-27T24:00:00.000Z",
    "2026-11-27T23:59:60.000Z", "2026-11-27T23:60:00.000Z", "2026-11-27t10:00:00.000Z", "2026-11-27T10:00:00.000z", "2026-11-27T10:00:00.000+",
    "+002026-11-27T23:59:59.000Z", "0000-01-01T00:00:00.000Z", "1969-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z", "2026-1-27T10:00:00.000Z ",
    " 2026-11-27T10:00:00.000Z", "2026-11-27T1:00:00.000Z0", "2026-11-27 10:00:00.000Z", "abcd-ef-ghTij:kl:mn.opqZ", "2026-11-27T-1:00:00.000Z", "",
  ];
  for (const text of [...texts, ...mangled, ...edges]) {
    if (!Object.is(parseIsoTime(text), Date.parse(text))) return t.fail(`${JSON.stringify(text)}: ${parseIsoTime(text)} against ${Date.parse(text)}`);
  }
  t.pass();
});
