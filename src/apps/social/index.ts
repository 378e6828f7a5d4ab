/** MySocialMedia (CQRS): posts, likes and comments, counts in real time, trending posts. */
import type { AppModule } from '../AppModule.js';
import { hostSocial } from './hostSocial.js';
import { socialApp } from './socialApp.js';
import { simulateSocial } from './socialSimulation.js';

export const socialModule: AppModule = {
  name: 'social',
  definition: () => socialApp(),
  host: hostSocial,
  simulate: simulateSocial,
};
