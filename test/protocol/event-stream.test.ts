import { describe, expect, it } from "vitest";
import { acceptsEventStream, createEventStreamParser, firstStreamStep, formatServerSentEvent, type ServerSentEvent } from "async-jobs/protocol";

describe("acceptsEventStream", () => {
  it.each([
    ["text/event-stream", true],
    ["text/event-stream, application/json", true],
    ["application/json;q=0.9, TEXT/EVENT-STREAM", true],
    ["text/event-stream;q=0", false],
    ["text/event-stream; q=0.0, application/json", false],
    ["application/json", false],
    ["*/*", false],
    [undefined, false],
  ])("%s → %s", (accept, expected) => expect(acceptsEventStream(accept)).toBe(expected));
});

describe("firstStreamStep (spec §2.4, Last-Event-ID)", () => {
  it.each([
    [{ etag: '"4"', terminal: false, lastEventId: undefined }, "send"],
    [{ etag: '"4"', terminal: true, lastEventId: undefined }, "send"],
    [{ etag: '"4"', terminal: false, lastEventId: '"3"' }, "send"],
    [{ etag: '"4"', terminal: true, lastEventId: '"3"' }, "send"],
    [{ etag: '"4"', terminal: false, lastEventId: '"4"' }, "wait"],
    [{ etag: '"4"', terminal: true, lastEventId: '"4"' }, "end"],
  ] as const)("%o → %s", (current, step) => expect(firstStreamStep(current)).toBe(step));
});

describe("createEventStreamParser", () => {
  const parse = (chunks: string[]) => {
    const events: ServerSentEvent[] = [];
    const retries: number[] = [];
    const parser = createEventStreamParser((e) => events.push(e), (ms) => retries.push(ms));
    for (const chunk of chunks) parser.feed(chunk);
    return { events, retries };
  };

  it("reads what formatServerSentEvent writes, split at any byte", () => {
    const text =
      formatServerSentEvent({ retry: 1500 }) +
      formatServerSentEvent({ event: "job", id: '"1"', data: '{"a":1}' }) +
      ": keep-alive\n\n" +
      formatServerSentEvent({ event: "job", id: '"2"', data: '{"a":2}' });
    const whole = parse([text]);
    expect(whole.retries).toEqual([1500]);
    expect(whole.events).toEqual([
      { event: "job", id: '"1"', data: '{"a":1}', retry: undefined },
      { event: "job", id: '"2"', data: '{"a":2}', retry: undefined },
    ]);
    for (let cut = 1; cut < text.length; cut++) expect(parse([text.slice(0, cut), text.slice(cut)]).events).toEqual(whole.events);
  });

  it("takes CRLF, CR and LF line ends, joins data lines, keeps the last id, defaults the type to message", () => {
    const { events } = parse(["id: 7\r\ndata: a\r\ndata: b\r\n\r\n", "data: c\r", "\r", "event: x\ndata:d\n\n"]);
    expect(events).toEqual([
      { event: "message", id: "7", data: "a\nb", retry: undefined },
      { event: "message", id: "7", data: "c", retry: undefined },
      { event: "x", id: "7", data: "d", retry: undefined },
    ]);
  });

  it("dispatches nothing for blocks without data or an unfinished block", () => {
    expect(parse(["event: job\nid: 1\n\n", "data: half"]).events).toEqual([]);
  });
});
