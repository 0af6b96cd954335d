// `pantheon genesis init|hash|verify`: create a genesis with validator keys, print the hash
// an auditor pins, and validate a genesis file with messages that say what is wrong.
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bytesToHex } from '../../protocol/bytes.ts';
import { addressOf } from '../../protocol/keys.ts';
import { createGenesis, genesisHash, genesisToJson, parseGenesis, TOTAL_SUPPLY, BASE_UNITS_PER_PAN, type Genesis } from '../../genesis/genesis.ts';
import { readJsonFile, writeFileAtomic } from '../files.ts';
import { generateKeyPair, writeKeyFile } from '../keyfile.ts';
import { parsePositiveInt, printJson, requireString, UsageError, type Command } from './command.ts';

export function loadGenesisFile(path: string): Genesis {
  const json = readJsonFile(path, 'genesis');
  try {
    return parseGenesis(json);
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  }
}

/** Each validator starts with enough PAN to pay for years of anchor attestations. */
const VALIDATOR_ALLOWANCE_PAN = 1000n;

export const genesisInit: Command = {
  name: 'genesis init',
  summary: 'Create a genesis file and one ML-DSA-65 key file per validator.',
  usage: 'pantheon genesis init --validators N --out DIR [--chain-id ID] [--force] [--json]',
  details: [
    '  --validators N   number of validators, each with voting power 1 (1-256)',
    '  --out DIR        where genesis.json, validator-<i>.key and treasury.key are written',
    '  --chain-id ID    chain id (a-z, 0-9, -; default pantheon-devnet-1)',
    '  --force          overwrite an existing genesis.json and keys in DIR',
    '  --json           print the result as JSON',
    '',
    'Each validator account gets 1,000 PAN (for anchor attestation fees); treasury.key holds the rest of the',
    'fixed supply of 5,000,000,000 PAN. Key files are mode 0600.',
  ].join('\n'),
  options: {
    validators: { type: 'string' },
    out: { type: 'string' },
    'chain-id': { type: 'string', default: 'pantheon-devnet-1' },
    force: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
  async run(values) {
    const count = parsePositiveInt(requireString(values, 'validators'), 'validators', 256);
    const out = resolve(requireString(values, 'out'));
    const genesisPath = join(out, 'genesis.json');
    const existing = [genesisPath, join(out, 'treasury.key'), ...Array.from({ length: count }, (_, i) => join(out, `validator-${i}.key`))].filter((p) => existsSync(p));
    if (existing.length > 0 && !values.force) throw new UsageError(`${existing[0]} already exists; pass --force to overwrite the genesis and its keys`);
    mkdirSync(out, { recursive: true });
    const validatorKeys = Array.from({ length: count }, () => generateKeyPair());
    const treasury = generateKeyPair();
    const genesis = createGenesis({
      chainId: values['chain-id'] as string,
      genesisTimeMs: BigInt(Math.floor(Date.now() / 1000) * 1000),
      validatorPublicKeys: validatorKeys.map((k) => k.publicKey),
      fundedPublicKeys: [treasury.publicKey],
      validatorAllowance: VALIDATOR_ALLOWANCE_PAN * BASE_UNITS_PER_PAN,
    });
    const keyPaths = validatorKeys.map((k, i) => {
      const path = join(out, `validator-${i}.key`);
      writeKeyFile(path, k, { overwrite: true });
      return path;
    });
    writeKeyFile(join(out, 'treasury.key'), treasury, { overwrite: true });
    writeFileAtomic(genesisPath, JSON.stringify(genesisToJson(genesis), null, 2) + '\n');
    const hash = bytesToHex(genesisHash(genesis));
    if (values.json) {
      printJson({ genesis: genesisPath, genesisHash: hash, chainId: genesis.chainId, validatorKeys: keyPaths, treasuryKey: join(out, 'treasury.key'), treasuryAddress: addressOf(treasury.publicKey) });
    } else {
      process.stdout.write(
        `wrote ${genesisPath}\n` +
          `  chain id      ${genesis.chainId}\n` +
          `  genesis hash  ${hash}   (auditors pin this)\n` +
          `  validators    ${count}: ${keyPaths.join(', ')}\n` +
          `  treasury      ${join(out, 'treasury.key')} holds ${TOTAL_SUPPLY / BASE_UNITS_PER_PAN - BigInt(count) * VALIDATOR_ALLOWANCE_PAN} PAN (${addressOf(treasury.publicKey)}); each validator 1000 PAN\n`,
      );
    }
    return 0;
  },
};

export const genesisHashCommand: Command = {
  name: 'genesis hash',
  summary: 'Validate a genesis file and print its hash (the value an auditor pins).',
  usage: 'pantheon genesis hash <genesis.json> [--json]',
  options: { json: { type: 'boolean', default: false } },
  positionals: { min: 1, max: 1 },
  async run(values, [path]) {
    const genesis = loadGenesisFile(path);
    const hash = bytesToHex(genesisHash(genesis));
    if (values.json) printJson({ chainId: genesis.chainId, genesisHash: hash });
    else process.stdout.write(`${hash}\n`);
    return 0;
  },
};

export const genesisVerify: Command = {
  name: 'genesis verify',
  summary: 'Check a genesis file: format, keys, voting power, and a supply of exactly 5,000,000,000 PAN.',
  usage: 'pantheon genesis verify <genesis.json> [--json]',
  options: { json: { type: 'boolean', default: false } },
  positionals: { min: 1, max: 1 },
  async run(values, [path]) {
    const genesis = loadGenesisFile(path);
    const summary = {
      valid: true,
      chainId: genesis.chainId,
      genesisHash: bytesToHex(genesisHash(genesis)),
      validators: genesis.validators.length,
      totalVotingPower: genesis.validators.reduce((s, v) => s + v.power, 0n).toString(),
      allocations: genesis.allocations.length,
      totalSupplyBaseUnits: TOTAL_SUPPLY.toString(),
    };
    if (values.json) printJson(summary);
    else {
      process.stdout.write(
        `${path}: valid\n  chain id      ${summary.chainId}\n  genesis hash  ${summary.genesisHash}\n` +
          `  validators    ${summary.validators} (total voting power ${summary.totalVotingPower})\n` +
          `  allocations   ${summary.allocations}, adding up to exactly 5,000,000,000 PAN\n`,
      );
    }
    return 0;
  },
};
