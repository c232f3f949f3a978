import test from "ava";
import { isoTime } from "../../src/core/iso-time.js";

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
