import { runDisk } from './disk.ts';
console.log(await runDisk(1000, console.log));
