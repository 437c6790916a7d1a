/**
 * The media type of a job stream (spec §2, "Watching a job"). Its own module so that a client
 * can ask for a stream without loading the parser (the SDK loads it once a server streams).
 */
export const eventStreamType = "text/event-stream";
