/** Times on the wire and in KV are ISO-8601 (UTC), as nats-server writes its own. */
export const isoTime = (ms: number): string => new Date(ms).toISOString();
