// Shows study progress: two bars (whole study, current run) with ETAs redrawn
// in place on a TTY; plain lines otherwise (logs, CI), at most one progress
// line per run every few seconds and the last step of each phase. A session of
// one run (also the single-run commands, through run-one.ts) shows the run's only.
import type { StudyEvent } from '../study/runner.js';

export function formatSeconds(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '--:--';
  const t = Math.round(s);
  const h = Math.floor(t / 3600),
    m = Math.floor((t % 3600) / 60),
    sec = t % 60;
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}

function bar(fraction: number, width = 24): string {
  const n = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `[${'#'.repeat(n)}${'.'.repeat(width - n)}]`;
}

/** 'done/total note', or for a download (note 'downloading NAME', counts in bytes) 'downloading NAME 12.3/45.6 MB'. */
function progressLabel(done: number, total: number, note?: string): string {
  if (note?.startsWith('downloading ')) return `${note} ${(done / 1e6).toFixed(1)}/${(total / 1e6).toFixed(1)} MB`;
  return `${done}/${total}${note ? ` ${note}` : ''}`;
}

export function progressPrinter(stream: NodeJS.WriteStream = process.stderr): (e: StudyEvent) => void {
  const tty = stream.isTTY === true;
  let drawn = 0; // bar lines currently on screen (TTY)
  let lastPlain = 0;
  const clear = () => {
    if (tty && drawn) stream.write(`\x1b[${drawn}A\x1b[0J`);
    drawn = 0;
  };
  const line = (s: string) => {
    clear();
    stream.write(s + '\n');
  };
  return (e) => {
    switch (e.type) {
      case 'plan':
        line(
          e.shard
            ? `study: ${e.shard.planTotal} runs; shard ${e.shard.label}: ${e.total} runs, ${e.skipped} already done, ${e.pending} to run`
            : `study: ${e.total} runs, ${e.skipped} already done, ${e.pending} to run`,
        );
        break;
      case 'run-held':
        line(`[${e.index + 1}/${e.of}] ${e.id}: held by ${e.holder}; left to it`);
        break;
      case 'run-start':
        line(`[${e.index + 1}/${e.of}] ${e.id}`);
        break;
      case 'run-progress': {
        const label = progressLabel(e.done, e.total, e.note);
        // One run in the session (a study with one run left, or a single-run command): the run's bar says it all.
        const alone = e.of === 1;
        if (tty) {
          clear();
          const cols = Math.max(stream.columns || 100, 72); // some ptys report 0 or a tiny width
          const rows = [
            ...(alone ? [] : [`study ${bar(e.studyFraction)} ${(100 * e.studyFraction).toFixed(0)}%  ETA ${formatSeconds(e.studyEta)}`]),
            `run   ${bar(e.total ? e.done / e.total : 0)} ${label}  ETA ${formatSeconds(e.runEta)}`,
          ].map((r) => r.slice(0, cols - 1));
          stream.write(rows.join('\n') + '\n');
          drawn = rows.length;
        } else if (Date.now() - lastPlain > 5000 || e.done === e.total) {
          lastPlain = Date.now();
          const study = alone ? '' : `, study ${(100 * e.studyFraction).toFixed(0)}%, ETA ${formatSeconds(e.studyEta)}`;
          stream.write(`  ${e.id}: ${label} (run ETA ${formatSeconds(e.runEta)}${study})\n`);
        }
        break;
      }
      case 'run-end':
        line(`  ${e.status} in ${formatSeconds(e.seconds)}${e.error ? `: ${e.error}` : ''}`);
        break;
      case 'log':
        line(`  ${e.line}`);
        break;
    }
  };
}
