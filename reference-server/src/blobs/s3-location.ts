/** Where an S3 blob store keeps its objects, parsed from `--blobs s3://bucket/prefix?…`. */
export interface S3Location {
  bucket: string;
  /** Key prefix, empty or ending in `/`. */
  prefix: string;
  /** An S3-compatible endpoint (MinIO, R2, a test server); AWS's own when absent. */
  endpoint?: string;
  /** Falls back to the AWS credential chain's region (`AWS_REGION`), then `us-east-1`. */
  region?: string;
  /** `http://endpoint/bucket/key` instead of `http://bucket.endpoint/key` (MinIO, test servers). */
  forcePathStyle: boolean;
}

/**
 * Reads `s3://bucket/prefix?endpoint=…&region=…&forcePathStyle=true`; credentials never go in
 * the URL (they come from the AWS environment and credential chain).
 *
 * @example
 * parseS3Location("s3://uploads/prod?region=eu-west-1") // { bucket: "uploads", prefix: "prod/", region: "eu-west-1", forcePathStyle: false }
 */
export function parseS3Location(text: string): S3Location {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`--blobs must be s3://bucket[/prefix][?endpoint=…&region=…&forcePathStyle=true], got "${text}"`);
  }
  if (url.protocol !== "s3:" || !url.hostname) throw new Error(`--blobs must start with s3://bucket, got "${text}"`);
  if (url.username || url.password) throw new Error("--blobs must not carry credentials: use the AWS environment or credential chain");
  const known = new Set(["endpoint", "region", "forcePathStyle"]);
  for (const key of url.searchParams.keys()) {
    if (!known.has(key)) throw new Error(`--blobs: unknown parameter "${key}" (endpoint, region, forcePathStyle)`);
  }
  const path = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, "");
  const endpoint = url.searchParams.get("endpoint") ?? undefined;
  const region = url.searchParams.get("region") ?? undefined;
  return {
    bucket: url.hostname,
    prefix: path ? `${path}/` : "",
    ...(endpoint ? { endpoint } : {}),
    ...(region ? { region } : {}),
    forcePathStyle: url.searchParams.get("forcePathStyle") === "true",
  };
}
