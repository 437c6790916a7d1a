// workerd entry (no nodejs_compat: Web Crypto only, as on a default Cloudflare Worker).
import { runProbe, type ProbeInput } from "./probe.ts";

export default {
  async fetch(request: Request): Promise<Response> {
    return Response.json(await runProbe((await request.json()) as ProbeInput));
  },
};
