/** `egress explain` — placeholder until its issue lands (exits 1 with a message saying so). */
import type { Command } from 'commander';

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command('explain')
    .description('(not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      process.stderr.write('egress explain: not implemented yet\n');
      setExit(1);
    });
}
