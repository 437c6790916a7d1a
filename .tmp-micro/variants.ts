const row: any = { id: "job_01JD3Z9A7C1E2F3G4H5J6K7M8N", tenant: "bench", type: "conformance.echo", status: "queued", input: '{"value":1}', metadata: "{}", progress_percent: null, progress_message: null, attempt: 0, max_attempts: 3, result: null, error: null, cancel_requested: 0, webhook_url: null, created_at: 1764000000123, updated_at: 1764000000123, started_at: null, completed_at: null, version: 1, run_at: 1764000000123, lease_token: null, lease_expires_at: null };
const wm = new WeakMap<object, unknown>();
const TEXTS = Symbol("texts");
function accessors(row: any, useWm: boolean) {
  let input: unknown; let parsed = 0;
  const texts = { input: row.input, metadata: row.metadata, result: row.result, error: row.error };
  const job: any = { id: row.id, tenant: row.tenant, type: row.type, status: row.status,
    get input() { if (!(parsed & 1)) (input = JSON.parse(texts.input)), (parsed |= 1); return input; },
    set input(v) { input = v; parsed |= 1; },
    get metadata() { return JSON.parse(texts.metadata); }, set metadata(v) {},
    get result() { return null; }, set result(v) {}, get error() { return null; }, set error(v) {},
    attempt: row.attempt, version: row.version, createdAt: Number(row.created_at) };
  if (useWm) wm.set(job, texts);
  return job;
}
function plainWithSymbol(row: any) {
  return { id: row.id, tenant: row.tenant, type: row.type, status: row.status, input: undefined, metadata: undefined, result: undefined, error: undefined, attempt: row.attempt, version: row.version, createdAt: Number(row.created_at), [TEXTS]: { input: row.input, metadata: row.metadata, result: row.result, error: row.error } };
}
function eager(row: any) {
  return { id: row.id, tenant: row.tenant, type: row.type, status: row.status, input: JSON.parse(row.input), metadata: JSON.parse(row.metadata), result: null, error: null, attempt: row.attempt, version: row.version, createdAt: Number(row.created_at) };
}
function time(name: string, f: () => unknown) {
  let n = 0; for (let i = 0; i < 20000; i++) n += f() ? 1 : 0;
  const t = performance.now(); for (let i = 0; i < 500000; i++) n += f() ? 1 : 0;
  console.log(name.padEnd(20), ((performance.now() - t) * 1000 / 500000).toFixed(3), "µs");
}
for (let r = 0; r < 2; r++) {
  time("accessors+wm", () => accessors(row, true));
  time("accessors", () => accessors(row, false));
  time("symbol", () => plainWithSymbol(row));
  time("eager", () => eager(row));
  time("date iso x3", () => new Date(row.created_at).toISOString() + new Date(row.created_at).toISOString() + new Date(row.created_at).toISOString());
}
