/** `egress plan` — placeholder until its issue lands (exits 1 with a message saying so). */
import type { Command } from 'commander';

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command('plan')
    .description('(not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      process.stderr.write('egress plan: not implemented yet\n');
      setExit(1);
    });
}
