import type { JetStreamManager, StreamInfo } from "@nats-io/jetstream";

/** The stream's info, or undefined when there is no such stream (any other failure is thrown). */
export async function existingStream(jsm: JetStreamManager, name: string): Promise<StreamInfo | undefined> {
  return jsm.streams.info(name).catch((err: Error) => {
    if (/stream not found/i.test(err.message)) return undefined;
    throw err;
  });
}
