// Compile-checked sample for docs/uploads.md (the client method and the free function).
import { createClient } from "async-jobs";
import { uploadFile } from "async-jobs/uploads";

declare const token: string;
declare const file: File;

// #region doc
const client = createClient({ baseUrl: "https://jobs.example.com", token });

// The same call, two spellings: the method on the client…
const a = await client.uploads.upload(file);
// …or the free function, which bundles only the upload code.
const b = await uploadFile(client, file, { partSize: 16 * 2 ** 20, concurrency: 6 });
// #endregion
console.log(a.id, b.id);
