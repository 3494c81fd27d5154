/**
 * `npm run bench`: every benchmark, each figure a ratio against a reference measured in the same
 * run (this machine is noisy), or a count. Writes bench/results/latest.json and prints a table.
 *
 *   npm run bench                 all benchmarks
 *   npm run bench -- reminders    only those whose name contains "reminders"
 *
 * Benchmarks: reminders, telegram, pipeline, timeliness, web, import, report, planner (README, "Benchmarks").
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { benchImportDocuments } from './import-documents.js';
import { benchPipeline } from './pipeline.js';
import { benchPlanner } from './planner.js';
import { benchReminders } from './reminders.js';
import { benchReport } from './report.js';
import { benchTelegram } from './telegram.js';
import { benchTimeliness } from './timeliness.js';
import { benchWeb } from './web.js';
import { openBenchEnv } from './env.js';

export interface Figure {
  bench: string;
  figure: string;
  value: number;
  unit: string;
  target?: string;
  ok?: boolean;
}

const benches: Record<string, (env: Awaited<ReturnType<typeof openBenchEnv>>) => Promise<Figure[]>> = {
  reminders: benchReminders,
  telegram: benchTelegram,
  pipeline: benchPipeline,
  timeliness: benchTimeliness,
  web: benchWeb,
  import: benchImportDocuments,
  report: benchReport,
  // Last: it leaves a year of reminders in the database.
  planner: benchPlanner,
};

async function main() {
  const filter = process.argv[2];
  const env = await openBenchEnv();
  const figures: Figure[] = [];
  try {
    for (const [name, run] of Object.entries(benches)) {
      if (filter && !name.includes(filter)) continue;
      process.stderr.write(`bench ${name}…\n`);
      figures.push(...(await run(env)));
    }
  } finally {
    await env.close();
  }
  const out = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(out, { recursive: true });
  writeFileSync(`${out}latest.json`, JSON.stringify({ at: new Date().toISOString(), figures }, null, 2));
  const rows = figures.map((f) => [
    f.bench,
    f.figure,
    `${f.value} ${f.unit}`,
    f.target ?? '',
    f.ok === undefined ? '' : f.ok ? 'ok' : 'MISSED',
  ]);
  const widths = [0, 1, 2, 3, 4].map((i) =>
    Math.max(...[['bench', 'figure', 'value', 'target', ''], ...rows].map((r) => r[i]!.length)),
  );
  for (const r of [['bench', 'figure', 'value', 'target', ''], ...rows])
    console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
  if (figures.some((f) => f.ok === false)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(2);
});
