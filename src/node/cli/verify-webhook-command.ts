import { isWebhookVerificationError } from "../../errors.ts";
import { verifyWebhook } from "../../webhooks/verify-webhook.ts";
import { readAll, type CliContext } from "./cli-context.ts";
import { exitCodes, UsageError, type ExitCode } from "./exit-codes.ts";
import { parseWebhookRequest } from "./parse-webhook-request.ts";

/**
 * `async-jobs verify-webhook --secret whsec_… [--secret …] [--tolerance S] < request`: checks a
 * captured webhook (raw HTTP request or `{ headers, body }` JSON on stdin) and prints the event.
 * Exit 0 when valid, 1 with the reason when not. `ASYNC_JOBS_WEBHOOK_SECRET` may hold the secret.
 *
 * @example
 * await verifyWebhookCommand(ctx)
 */
export async function verifyWebhookCommand(ctx: CliContext): Promise<ExitCode> {
  if (ctx.args.length > 0) throw new UsageError(`unexpected arguments: ${ctx.args.join(" ")}`);
  const secrets = (ctx.values.secret as string[] | undefined) ?? ctx.io.env.ASYNC_JOBS_WEBHOOK_SECRET?.split(",") ?? [];
  if (secrets.length === 0) throw new UsageError("verify-webhook needs --secret whsec_… (or ASYNC_JOBS_WEBHOOK_SECRET)");
  const tolerance = ctx.values.tolerance === undefined ? undefined : Number(ctx.values.tolerance);
  if (tolerance !== undefined && !(tolerance >= 0)) throw new UsageError("--tolerance takes seconds");
  const request = parseWebhookRequest(await readAll(ctx.io.stdin));
  try {
    const event = await verifyWebhook(request, secrets, tolerance === undefined ? {} : { toleranceSeconds: tolerance });
    ctx.print(
      { valid: true, webhook_id: request.headers["webhook-id"], event },
      `valid  ${event.type}  ${request.headers["webhook-id"]}  ${event.data.id} ${event.data.status}`,
    );
    return exitCodes.succeeded;
  } catch (error) {
    if (!isWebhookVerificationError(error)) throw error;
    ctx.print({ valid: false, reason: error.reason, message: error.message }, `invalid  ${error.reason}: ${error.message}`);
    return exitCodes.failed;
  }
}
