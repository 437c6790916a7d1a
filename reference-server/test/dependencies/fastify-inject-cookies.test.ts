import Fastify from "fastify";
import { expect, test } from "vitest";

// The root package.json overrides light-my-request's cookie ^2 (Node >= 22 only) with the cookie
// 1.1 already installed for msw (CONTRIBUTING.md, dependency notes). light-my-request is what
// fastify's inject() runs; this keeps the override honest: inject's `cookies` option, the one
// place it calls cookie, still builds the Cookie header.
test("fastify's inject() sends the cookies it is given, with the overridden cookie package", async () => {
  const app = Fastify();
  app.get("/", async (request) => request.headers.cookie ?? "");
  try {
    const response = await app.inject({ method: "GET", url: "/", cookies: { a: "1", b: "x y" } });
    expect(response.body).toBe("a=1; b=x%20y");
  } finally {
    await app.close();
  }
});
