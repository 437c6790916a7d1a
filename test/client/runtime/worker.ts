// Entry for workerd: POST the input as JSON, get the result as JSON.
import { runSmoke, type SmokeInput } from "./smoke.ts";

export default {
  async fetch(request: Request): Promise<Response> {
    try {
      return Response.json({ ok: true, ...(await runSmoke((await request.json()) as SmokeInput)) });
    } catch (error) {
      return Response.json({ ok: false, error: String((error as Error)?.stack ?? error) });
    }
  },
};
