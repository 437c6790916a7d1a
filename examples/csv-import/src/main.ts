// `npm start`: the CSV import example on http://127.0.0.1:8080 (PORT to change it).
import { startExample } from "./start-example.ts";

const { url, close } = await startExample({ port: Number(process.env.PORT ?? 8080) });
console.log(`CSV import example on ${url}`);
process.once("SIGINT", () => void close().then(() => process.exit(0)));
process.once("SIGTERM", () => void close().then(() => process.exit(0)));
