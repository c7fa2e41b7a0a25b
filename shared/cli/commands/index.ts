/** The command table: each command lives in its own module and registers itself on the program. */
import type { Command } from 'commander';
import * as capacity from './capacity';
import * as denials from './denials';
import * as doctor from './doctor';
import * as drift from './drift';
import * as explain from './explain';
import * as mcp from './mcp';
import * as plan from './plan';
import * as probe from './probe';
import * as release from './release';
import * as replay from './replay';
import * as status from './status';
import * as sync from './sync';
import * as validate from './validate';

/** Signature every command module exports. */
export type Register = (program: Command, setExit: (code: number) => void) => void;

export function registerCommands(program: Command, setExit: (code: number) => void): void {
  for (const m of [validate, plan, sync, replay, release, drift, status, explain, denials, probe, mcp, capacity])
    m.register(program, setExit);
  doctor.register(program, setExit);
}
