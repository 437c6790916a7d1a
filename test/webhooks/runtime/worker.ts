// workerd entry, run with and without nodejs_compat (Web Crypto only without it).
import { runProbe, type ProbeInput } from "./probe.ts";

export default {
  async fetch(request: Request): Promise<Response> {
    return Response.json(await runProbe((await request.json()) as ProbeInput));
  },
};
