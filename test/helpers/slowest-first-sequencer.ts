import { relative } from "node:path";
import type { TestSpecification } from "vitest/node";
import { BaseSequencer } from "vitest/node";

// Durations in ms of the slowest files in CI (.ci/run, 2 cores), for a cold cache: a fresh clone
// has no vitest results cache, and vitest's own order (project by project, larger files first)
// then started publish.test.ts among the last files, so one worker ran it alone at the end.
// A file missing here only loses its head start; a stale name matches nothing.
const slowInCi: Record<string, number> = {
  "sdk:test/package/publish.test.ts": 49_187,
  "reference-server:reference-server/test/blobs/s3-uploads-e2e.test.ts": 40_517,
  "conformance:conformance/test/reference-catalog.test.ts": 34_966,
  "reference-server:reference-server/test/blobs/s3-conformance.test.ts": 29_442,
  "conformance:conformance/test/mutants.test.ts": 24_542,
  "sdk:test/cli/watch-command.test.ts": 23_679,
  "reference-server:reference-server/test/ops/drain.test.ts": 22_165,
  "sdk:test/cli/cli-commands.test.ts": 18_334,
  "sdk:test/package/workspace-packages.test.ts": 17_672,
  "reference-server:reference-server/test/job-types/conformance.test.ts": 16_936,
  "sdk:test/jobs/reference-server.test.ts": 15_210,
  "reference-server:reference-server/test/ops/database-faults.test.ts": 14_381,
  "reference-server:reference-server/test/crash/crash.test.ts": 12_555,
  "reference-server:reference-server/test/job-types/typed-clients.test.ts": 12_232,
  "sdk:test/demo/quickstart.test.ts": 11_923,
  "sdk:test/jobs/watch-job.test.ts": 11_741,
  "sdk:test/uploads/reference-server.test.ts": 10_443,
};

/**
 * Runs the longest files first across all projects (longest-processing-time scheduling), so no
 * long file starts near the end while the other worker sits idle. A file's duration is its last
 * run's (vitest's results cache) or, on a cold cache, its CI figure above; failed files still go
 * first.
 *
 * @example
 * defineConfig({ test: { sequence: { sequencer: SlowestFirstSequencer } } });
 */
export class SlowestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const root = this.ctx.config.root;
    const known = (spec: TestSpecification) => {
      const key = `${spec.project.name}:${relative(root, spec.moduleId)}`;
      const last = this.ctx.cache.getFileTestResults(key);
      return { failed: last?.failed === true, duration: last?.duration ?? slowInCi[key] ?? 0 };
    };
    const facts = new Map(sorted.map((spec) => [spec, known(spec)]));
    // Array.prototype.sort is stable: equal files keep vitest's own order.
    return sorted.sort((a, b) => {
      const fa = facts.get(a)!;
      const fb = facts.get(b)!;
      if (fa.failed !== fb.failed) return fa.failed ? -1 : 1;
      return fb.duration - fa.duration;
    });
  }
}
