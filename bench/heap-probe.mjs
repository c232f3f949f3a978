// Bench only, preloaded into the service (`node --expose-gc --import ./bench/heap-probe.mjs …`): on
// SIGUSR2 every thread of the process collects its garbage and says what its heap still holds (with the
// typed arrays outside it), so the bench can state the live heap of the main thread and the report
// worker, not heap plus garbage.
// The answer is one JSON line in the file named by BENCH_HEAP_FILE.
import { BroadcastChannel, isMainThread, threadId } from "node:worker_threads";
import { getHeapStatistics, writeHeapSnapshot } from "node:v8";
import { writeFileSync } from "node:fs";

const channel = new BroadcastChannel("bench-heap-probe");
channel.unref();
let probes = 0;
const live = () => {
  globalThis.gc();
  globalThis.gc();
  // The fleet keeps its columns in typed arrays, outside the heap: counted with it.
  const { used_heap_size, external_memory } = getHeapStatistics();
  const bytes = used_heap_size + external_memory;
  // BENCH_HEAP_SNAPSHOTS=DIR: each probe also writes each thread's heap snapshot there, to see what the bytes are.
  const dir = process.env.BENCH_HEAP_SNAPSHOTS;
  if (dir) writeHeapSnapshot(`${dir}/probe-${++probes}-thread-${threadId}.heapsnapshot`);
  return bytes;
};

if (isMainThread) {
  const answers = new Map();
  let waiting;
  channel.onmessage = ({ data }) => {
    if (data.type !== "heap") return;
    answers.set(data.thread, data.bytes);
    if (waiting && answers.size >= waiting.threads) waiting.done();
  };
  process.on("SIGUSR2", () => {
    answers.clear();
    answers.set(threadId, live());
    const timer = setTimeout(() => waiting?.done(), 5000);
    waiting = {
      // The main thread and the report worker.
      threads: 2,
      done: () => {
        clearTimeout(timer);
        waiting = undefined;
        writeFileSync(process.env.BENCH_HEAP_FILE, JSON.stringify({ main: answers.get(threadId), workers: [...answers].filter(([t]) => t !== threadId).map(([, b]) => b) }) + "\n");
      },
    };
    channel.postMessage({ type: "collect" });
  });
} else {
  channel.onmessage = ({ data }) => {
    if (data.type === "collect") channel.postMessage({ type: "heap", thread: threadId, bytes: live() });
  };
}
