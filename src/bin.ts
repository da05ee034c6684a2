#!/usr/bin/env node
// The `ackbench` executable. The signal handlers come first, in a module of their own with nothing to
// load: the CLI's modules take a few hundred milliseconds to load, and a Ctrl-C in that time must still
// end with a line that says what happened (interrupt.ts), not a silent exit.
import './interrupt.js';
import { installLastResort } from './last-resort.js';

installLastResort();

await import('./cli.js');
