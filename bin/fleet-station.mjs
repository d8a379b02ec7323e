#!/usr/bin/env node
// The `fleet-station` command line. The TypeScript sources run directly through tsx's loader, so the command
// works straight after `npm install`, without a build step.
import { register } from 'tsx/esm/api';

register();
await import('../main/cli/index.ts');
