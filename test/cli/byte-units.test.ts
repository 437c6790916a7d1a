import { describe, expect, it } from "vitest";
import { formatBytes, formatProgressMessage } from "../../src/node/cli/byte-units.ts";

describe("one unit system for sizes (binary)", () => {
  it.each([
    [0, "0 B"],
    [1023, "1023 B"],
    [1024, "1.0 KiB"],
    [8 * 1024 * 1024, "8.0 MiB"],
    [200_000_000, "190.7 MiB"],
    [3 * 1024 ** 3, "3.0 GiB"],
  ])("%d bytes → %s", (bytes, text) => expect(formatBytes(bytes)).toBe(text));

  it("rewrites the byte counts of a job's progress message in the same units", () => {
    expect(formatProgressMessage("1048576 of 209715200 bytes")).toBe("1.0 MiB of 200.0 MiB");
    expect(formatProgressMessage("step 2 of 4")).toBe("step 2 of 4");
  });
});
