// s3rver in its own process (argv: directory, bucket, CORS XML): a request s3rver cannot
// handle throws inside it (e.g. completing a part it never stored), which must not land in
// the test runner; the error is printed and the server keeps serving.
import S3rver from "s3rver";

const [directory, bucket, cors] = process.argv.slice(2);
process.on("uncaughtException", (error) => console.error(`s3rver: ${error.message}`));
const server = new S3rver({ port: 0, address: "127.0.0.1", silent: true, directory, configureBuckets: [{ name: bucket, configs: [cors] }] });
const { port } = await server.run();
console.log(JSON.stringify({ port }));
