/** The applications' views in the console, one line each (one file per application). */
import { bankView } from './bank.js';
import type { ConsoleView } from './ConsoleView.js';
import { gettaxiView } from './gettaxi.js';
import { movieflixView } from './movieflix.js';
import { opsView } from './ops.js';
import { socialView } from './social.js';

export const CONSOLE_VIEWS: readonly ConsoleView[] = [socialView, bankView, gettaxiView, movieflixView, opsView];

export type { BoundView, ConsoleView } from './ConsoleView.js';
