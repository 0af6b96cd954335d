// `pantheon genesis init|hash|verify`: create a genesis with validator keys, print the hash
// an auditor pins, and validate a genesis file with messages that say what is wrong.
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bytesToHex } from '../../protocol/bytes.ts';
import { addressOf } from '../../protocol/keys.ts';
import { BITCOIN_NETWORKS, checkpointToJson, createGenesis, DEFAULT_PARAMS, type ConsensusParams, genesisHash, genesisToJson, parseCheckpoint, parseGenesis, TOTAL_SUPPLY, BASE_UNITS_PER_PAN, type Genesis, type GenesisBitcoin } from '../../genesis/genesis.ts';
import type { BitcoinNetworkName } from '../../anchor/verify-bitcoin.ts';
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

function genesisBitcoin(networkValue: unknown, checkpointValue: unknown): GenesisBitcoin {
  const network = networkValue as BitcoinNetworkName;
  if (!BITCOIN_NETWORKS.includes(network)) throw new UsageError(`--bitcoin-network must be one of ${BITCOIN_NETWORKS.join(', ')}, got "${networkValue}"`);
  if (network !== 'mainnet') {
    if (checkpointValue !== undefined) throw new UsageError(`--bitcoin-checkpoint is for mainnet only: ${network} blocks may be at minimum difficulty, so no work floor applies`);
    return { network };
  }
  if (typeof checkpointValue !== 'string') throw new UsageError('a mainnet genesis needs --bitcoin-checkpoint HEIGHT:HASH:BITS (a recent block; its difficulty / 16 is the work floor every anchor header must meet)');
  const parts = checkpointValue.split(':');
  if (parts.length !== 3 || !/^(0|[1-9][0-9]*)$/.test(parts[0])) throw new UsageError(`--bitcoin-checkpoint must be HEIGHT:HASH:BITS, got "${checkpointValue}"`);
  try {
    return { network, checkpoint: parseCheckpoint({ height: Number(parts[0]), hash: parts[1].toLowerCase(), bits: parts[2].toLowerCase() }, '--bitcoin-checkpoint') };
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/^genesis /, ''));
  }
}

/** Each validator starts with enough PAN to pay for years of anchor attestations. */
const VALIDATOR_ALLOWANCE_PAN = 1000n;

/** Seconds with up to three decimals, from the block interval (0.5 s) to a day. */
function parseHeartbeatSeconds(text: string): number {
  const ms = /^[0-9]{1,5}(\.[0-9]{1,3})?$/.test(text) ? Math.round(Number(text) * 1000) : NaN;
  if (!(ms >= DEFAULT_PARAMS.blockIntervalMs && ms <= 86_400_000)) throw new UsageError(`--heartbeat-seconds must be a number of seconds from ${DEFAULT_PARAMS.blockIntervalMs / 1000} to 86400 (up to 3 decimals), got "${text}"`);
  return ms;
}

export const genesisInit: Command = {
  name: 'genesis init',
  summary: 'Create a genesis file and one ML-DSA-65 key file per validator.',
  usage: 'pantheon genesis init --validators N --out DIR [--chain-id ID] [--bitcoin-network N] [--bitcoin-checkpoint H:HASH:BITS] [--heartbeat-seconds S] [--anchor-interval-seconds S] [--force] [--json]',
  details: [
    '  --validators N   number of validators, each with voting power 1 (1-256)',
    '  --out DIR        where genesis.json, validator-<i>.key and treasury.key are written',
    '  --chain-id ID    chain id (a-z, 0-9, -; default pantheon-devnet-1)',
    '  --bitcoin-network N  the Bitcoin network the chain anchors into: regtest (default), testnet or mainnet',
    '  --bitcoin-checkpoint H:HASH:BITS  mainnet only, and required there: a recent block (height, display hash,',
    '                   bits as 8 hex digits, from getblockheader); anchor headers must meet its difficulty / 16',
    `  --heartbeat-seconds S  longest gap between blocks on an idle chain, 0.5 to 86400, up to 3 decimals (default ${DEFAULT_PARAMS.heartbeatMs / 1000})`,
    `  --anchor-interval-seconds S  at most one Bitcoin anchor per S seconds, none when nothing is new (default ${DEFAULT_PARAMS.anchorIntervalSeconds})`,
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
    'bitcoin-network': { type: 'string', default: 'regtest' },
    'bitcoin-checkpoint': { type: 'string' },
    'heartbeat-seconds': { type: 'string' },
    'anchor-interval-seconds': { type: 'string' },
    force: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
  async run(values) {
    const count = parsePositiveInt(requireString(values, 'validators'), 'validators', 256);
    const bitcoin = genesisBitcoin(values['bitcoin-network'], values['bitcoin-checkpoint']);
    const params: Partial<ConsensusParams> = {};
    if (values['heartbeat-seconds'] !== undefined) params.heartbeatMs = parseHeartbeatSeconds(values['heartbeat-seconds'] as string);
    if (values['anchor-interval-seconds'] !== undefined) params.anchorIntervalSeconds = parsePositiveInt(values['anchor-interval-seconds'] as string, 'anchor-interval-seconds', 86_400);
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
      bitcoin,
      params,
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
          `  bitcoin       ${genesis.bitcoin.network}${genesis.bitcoin.checkpoint ? `, checkpoint at height ${genesis.bitcoin.checkpoint.height}` : ''}\n` +
          `  heartbeat     ${genesis.params.heartbeatMs / 1000} s between blocks when idle; anchor at most every ${genesis.params.anchorIntervalSeconds} s\n` +
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
      bitcoinNetwork: genesis.bitcoin.network,
      bitcoinCheckpoint: genesis.bitcoin.checkpoint ? checkpointToJson(genesis.bitcoin.checkpoint) : null,
      validators: genesis.validators.length,
      totalVotingPower: genesis.validators.reduce((s, v) => s + v.power, 0n).toString(),
      allocations: genesis.allocations.length,
      totalSupplyBaseUnits: TOTAL_SUPPLY.toString(),
    };
    if (values.json) printJson(summary);
    else {
      process.stdout.write(
        `${path}: valid\n  chain id      ${summary.chainId}\n  genesis hash  ${summary.genesisHash}\n` +
          `  bitcoin       anchors into ${summary.bitcoinNetwork}${genesis.bitcoin.checkpoint ? `; work floor from checkpoint ${genesis.bitcoin.checkpoint.height} ${summary.bitcoinCheckpoint!.hash} (bits ${summary.bitcoinCheckpoint!.bits})` : ' (no work floor: a bundle anchored there is never a plain VERIFIED)'}\n` +
          `  validators    ${summary.validators} (total voting power ${summary.totalVotingPower})\n` +
          `  allocations   ${summary.allocations}, adding up to exactly 5,000,000,000 PAN\n`,
      );
    }
    return 0;
  },
};
