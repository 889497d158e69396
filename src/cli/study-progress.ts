// Shows study progress: two bars (whole study, current run) with ETAs redrawn
// in place on a TTY; plain lines otherwise (logs, CI), at most one progress
// line per run every few seconds.
import type { StudyEvent } from '../study/runner.js';

export function formatSeconds(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '--:--';
  const t = Math.round(s);
  const h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), sec = t % 60;
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}

function bar(fraction: number, width = 24): string {
  const n = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `[${'#'.repeat(n)}${'.'.repeat(width - n)}]`;
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
        line(`study: ${e.total} runs, ${e.skipped} already done, ${e.pending} to run`);
        break;
      case 'run-start':
        line(`[${e.index + 1}/${e.of}] ${e.id}`);
        break;
      case 'run-progress': {
        const label = `${e.done}/${e.total}${e.note ? ` ${e.note}` : ''}`;
        if (tty) {
          clear();
          const cols = Math.max(stream.columns || 100, 72); // some ptys report 0 or a tiny width
          const rows = [
            `study ${bar(e.studyFraction)} ${(100 * e.studyFraction).toFixed(0)}%  ETA ${formatSeconds(e.studyEta)}`,
            `run   ${bar(e.total ? e.done / e.total : 0)} ${label}  ETA ${formatSeconds(e.runEta)}`,
          ].map((r) => r.slice(0, cols - 1));
          stream.write(rows.join('\n') + '\n');
          drawn = rows.length;
        } else if (Date.now() - lastPlain > 5000 || e.done === e.total) {
          lastPlain = Date.now();
          stream.write(`  ${e.id}: ${label} (run ETA ${formatSeconds(e.runEta)}, study ${(100 * e.studyFraction).toFixed(0)}%, ETA ${formatSeconds(e.studyEta)})\n`);
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
