#!/usr/bin/env node
// dpl-torch command line: one file per command under src/cli/.
import { autoencoderCommand } from './autoencoder.js';
import { convertLpipsWeightsCommand } from './convert-lpips-weights.js';
import { delineationCommand } from './delineation.js';
import { distanceCommand } from './distance.js';
import { doctorCommand } from './doctor.js';
import { exportNetworksCommand } from './export-networks.js';
import { recommendCommand } from './recommend.js';
import { reportCommand } from './report.js';
import { runCommand } from './run.js';
import { similarityCommand } from './similarity.js';
import { slurmCommand } from './slurm.js';
import { superResolutionCommand } from './super-resolution.js';
import type { Command } from './command.js';

const COMMANDS: Record<string, Command> = {
  doctor: doctorCommand,
  'export-networks': exportNetworksCommand,
  run: runCommand,
  report: reportCommand,
  recommend: recommendCommand,
  similarity: similarityCommand,
  distance: distanceCommand,
  'convert-lpips-weights': convertLpipsWeightsCommand,
  'super-resolution': superResolutionCommand,
  delineation: delineationCommand,
  autoencoder: autoencoderCommand,
  slurm: slurmCommand,
};

function usage(): string {
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(22)} ${c.summary}`);
  return `usage: dpl-torch <command> [options]\n\ncommands:\n${rows.join('\n')}\n\n'dpl-torch <command> --help' shows a command's options.`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    console.log(usage());
    return name ? 0 : 1;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`dpl-torch: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(`usage: dpl-torch ${name} ${command.usage}\n\n${command.summary}`);
    return 0;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (e: Error) => {
    console.error(`dpl-torch: ${e.message}`);
    process.exitCode = 1;
  },
);
