// Runs inside workerd, Deno and Bun (bundled by runtimes.test.ts): the Fetch handler on a
// request signed by Node, on one signed in the runtime itself, and on a forged one.
import {
  createTestWebhook,
  webhookCryptoBackend,
  webhookHandler,
  type JobEvent,
} from "async-jobs/webhooks";

export interface ProbeInput {
  secret: string;
  otherSecret: string;
  event: JobEvent;
  /** A request signed by Node: headers and body. */
  fromNode: { headers: Record<string, string>; body: string };
}

export interface ProbeResult {
  backend: "node" | "web";
  fromNode: { status: number; type: string | undefined };
  selfSigned: { status: number; type: string | undefined };
  forged: { status: number; code: unknown };
  /** The Node-signed request again, through the Web Crypto path forced by the option. */
  webCrypto: { status: number };
}

export async function runProbe(input: ProbeInput): Promise<ProbeResult> {
  let seen: string | undefined;
  const handler = webhookHandler(input.secret, (event) => {
    seen = event.type;
  });
  const take = () => [seen, (seen = undefined)][0];

  const a = await handler(
    new Request("http://probe/", { method: "POST", headers: input.fromNode.headers, body: input.fromNode.body }),
  );
  const fromNode = { status: a.status, type: take() };
  const b = await handler(await createTestWebhook(input.event, input.secret));
  const selfSigned = { status: b.status, type: take() };
  const c = await handler(await createTestWebhook(input.event, input.otherSecret));
  const forged = { status: c.status, code: ((await c.json()) as { code?: unknown }).code };
  const web = webhookHandler(input.secret, () => {}, { crypto: "web" });
  const d = await web(
    new Request("http://probe/", { method: "POST", headers: input.fromNode.headers, body: input.fromNode.body }),
  );
  return { backend: webhookCryptoBackend(), fromNode, selfSigned, forged, webCrypto: { status: d.status } };
}
