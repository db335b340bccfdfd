/** What the cluster's streams share: making one if it is missing, and JetStream's nanosecond durations. */
import { JetStreamApiError, type JetStreamManager, type StreamConfig } from "@nats-io/jetstream";

/** JetStream takes durations in nanoseconds. */
export const NANOS_PER_MS = 1_000_000;

/**
 * How long each pull request of a consumer lasts, milliseconds. The client expects a heartbeat from the server
 * every half of it and starts over (on another NATS node, when one died) after two are missed, so this bounds how
 * long a consumer can stall after a node failure: about 5 s rather than the client's default of 30 s or more.
 */
export const PULL_EXPIRES_MS = 5_000;

/** JetStream's "stream not found". */
const STREAM_NOT_FOUND = 10059;

/**
 * Creates the stream `config.name` with `config`, or checks that the one there takes `config.subjects[0]`
 * (its other settings are left as they are).
 * @returns the stream's name.
 * @throws Error when a stream of that name exists with other subjects (another cluster's, or a typo).
 */
export async function ensureStream(
  jsm: JetStreamManager,
  config: Partial<StreamConfig> & { name: string; subjects: [string] },
): Promise<string> {
  const [subject] = config.subjects;
  try {
    const info = await jsm.streams.info(config.name);
    if (!info.config.subjects.includes(subject)) {
      throw new Error(`stream ${config.name} exists with subjects ${info.config.subjects.join(", ")}, not ${subject}`);
    }
    return config.name;
  } catch (error) {
    if (!(error instanceof JetStreamApiError) || error.code !== STREAM_NOT_FOUND) throw error;
  }
  await jsm.streams.add(config);
  return config.name;
}
