// JSON-RPC client for Bitcoin Core's interface (also served by bcoin). HTTP with basic auth
// from user:password or from bitcoind's cookie file. Only calls bitcoind supports are
// wrapped, in their raw-hex forms where they exist: callers parse bytes themselves and
// never trust decoded JSON fields for anything that matters.
import http from 'node:http';
import { readFileSync } from 'node:fs';

export interface BitcoinRpcOptions {
  /** e.g. "http://127.0.0.1:18443" */
  url: string;
  /** Basic-auth user and password (bcoin: any user, password = apiKey). */
  user?: string;
  password?: string;
  /** bitcoind's `.cookie` file; read on every call because bitcoind rewrites it on restart. */
  cookieFile?: string;
  /** Per-call timeout. */
  timeoutMs?: number;
}

/** An error answered by the node (code and message as it sent them) or a transport failure. */
export class BitcoinRpcError extends Error {
  constructor(
    readonly method: string,
    readonly code: number | undefined,
    detail: string,
  ) {
    super(`bitcoin rpc ${method}: ${code !== undefined ? `(code ${code}) ` : ''}${detail}`);
    this.name = 'BitcoinRpcError';
  }
}

/** RPC error codes from Bitcoin Core's rpc/protocol.h that callers branch on. */
export const RPC_INVALID_ADDRESS_OR_KEY = -5; // unknown block/tx, or not in mempool
export const RPC_VERIFY_ALREADY_IN_CHAIN = -27;

const HEX = /^([0-9a-fA-F]{2})*$/;
const HASH_HEX = /^[0-9a-fA-F]{64}$/;

export interface MempoolEntry {
  vsize?: number;
  size?: number;
  fee?: number;
  fees?: { base?: number };
}

export class BitcoinRpc {
  private readonly url: URL;
  private readonly agent: http.Agent;
  private readonly timeoutMs: number;
  private nextId = 1;

  constructor(private readonly options: BitcoinRpcOptions) {
    if (!options || typeof options.url !== 'string') throw new Error('BitcoinRpc: options.url is required');
    this.url = new URL(options.url);
    if (this.url.protocol !== 'http:') throw new Error(`BitcoinRpc: url must be http:// (got ${this.url.protocol})`);
    if (options.cookieFile === undefined && (options.user === undefined || options.password === undefined)) {
      throw new Error('BitcoinRpc: give user and password, or cookieFile');
    }
    this.timeoutMs = options.timeoutMs ?? 30_000;
    if (!Number.isInteger(this.timeoutMs) || this.timeoutMs <= 0) throw new Error(`BitcoinRpc: timeoutMs must be a positive integer, got ${options.timeoutMs}`);
    // Keep-alive: the anchorer follows blocks one getblock at a time.
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  }

  /** Release pooled sockets. */
  close(): void {
    this.agent.destroy();
  }

  private authorization(): string {
    let credentials: string;
    if (this.options.cookieFile !== undefined) {
      try {
        credentials = readFileSync(this.options.cookieFile, 'utf8').trim();
      } catch (err) {
        throw new Error(`BitcoinRpc: cannot read cookie file ${this.options.cookieFile}: ${(err as Error).message}`);
      }
    } else {
      credentials = `${this.options.user}:${this.options.password}`;
    }
    return `Basic ${Buffer.from(credentials).toString('base64')}`;
  }

  /** One JSON-RPC 1.0 call as bitcoind expects it. */
  call<T>(method: string, params: unknown[] = []): Promise<T> {
    if (typeof method !== 'string' || method.length === 0) return Promise.reject(new Error('BitcoinRpc.call: method must be a non-empty string'));
    const body = JSON.stringify({ jsonrpc: '1.0', id: this.nextId++, method, params });
    return new Promise<T>((resolve, reject) => {
      const req = http.request(
        this.url,
        {
          method: 'POST',
          agent: this.agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: this.authorization() },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => reject(new BitcoinRpcError(method, undefined, `response failed: ${err.message}`)));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode === 401 || res.statusCode === 403) return reject(new BitcoinRpcError(method, undefined, `HTTP ${res.statusCode}: authentication refused`));
            let parsed: { result?: unknown; error?: { code?: number; message?: string } | null };
            try {
              parsed = JSON.parse(text);
            } catch {
              return reject(new BitcoinRpcError(method, undefined, `HTTP ${res.statusCode}: response is not JSON: ${text.slice(0, 200)}`));
            }
            if (parsed.error) return reject(new BitcoinRpcError(method, parsed.error.code, parsed.error.message ?? JSON.stringify(parsed.error)));
            if (res.statusCode !== 200) return reject(new BitcoinRpcError(method, undefined, `HTTP ${res.statusCode}`));
            resolve(parsed.result as T);
          });
        },
      );
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (err) => reject(new BitcoinRpcError(method, undefined, err.message)));
      req.end(body);
    });
  }

  // --- chain ---
  async getBlockCount(): Promise<number> {
    return expectInteger('getblockcount', await this.call('getblockcount'));
  }

  async getBlockHash(height: number): Promise<string> {
    assertHeight(height, 'getblockhash');
    return expectHash('getblockhash', await this.call('getblockhash', [height]));
  }

  async getBestBlockHash(): Promise<string> {
    return expectHash('getbestblockhash', await this.call('getbestblockhash'));
  }

  /** `getblock <hash> 0`: the serialized block. bcoin's second argument is a boolean, bitcoind accepts both. */
  async getBlockRaw(blockHash: string): Promise<Uint8Array> {
    assertHash(blockHash, 'getblock');
    return expectHex('getblock', await this.call('getblock', [blockHash, false]));
  }

  /** `getblockheader <hash> false`: the 80 header bytes. */
  async getBlockHeaderRaw(blockHash: string): Promise<Uint8Array> {
    assertHash(blockHash, 'getblockheader');
    const bytes = expectHex('getblockheader', await this.call('getblockheader', [blockHash, false]));
    if (bytes.length !== 80) throw new BitcoinRpcError('getblockheader', undefined, `expected 80 bytes, got ${bytes.length}`);
    return bytes;
  }

  async getChainTips(): Promise<unknown[]> {
    const tips = await this.call<unknown>('getchaintips');
    if (!Array.isArray(tips)) throw new BitcoinRpcError('getchaintips', undefined, 'expected a list');
    return tips;
  }

  /** Chain name from getblockchaininfo: "main", "test", "regtest" or "signet". */
  async getChainName(): Promise<string> {
    const info = await this.call<{ chain?: unknown }>('getblockchaininfo');
    if (!info || typeof info.chain !== 'string') throw new BitcoinRpcError('getblockchaininfo', undefined, 'no chain field');
    return info.chain;
  }

  async getNetworkSubversion(): Promise<string> {
    const info = await this.call<{ subversion?: unknown }>('getnetworkinfo');
    return typeof info?.subversion === 'string' ? info.subversion : '';
  }

  // --- transactions ---
  /** Raw hex of a transaction (bcoin needs indexTX, bitcoind -txindex, unless in mempool). Undefined when unknown. */
  async getRawTransaction(txid: string, blockHash?: string): Promise<Uint8Array | undefined> {
    assertHash(txid, 'getrawtransaction');
    const params: unknown[] = [txid, false];
    if (blockHash !== undefined) {
      assertHash(blockHash, 'getrawtransaction');
      params.push(blockHash);
    }
    try {
      return expectHex('getrawtransaction', await this.call('getrawtransaction', params));
    } catch (err) {
      if (err instanceof BitcoinRpcError && err.code === RPC_INVALID_ADDRESS_OR_KEY) return undefined;
      throw err;
    }
  }

  /** Returns the txid the node reports. NOT proof of acceptance: bcoin answers a txid even when its mempool refused. */
  async sendRawTransaction(rawTx: Uint8Array | string): Promise<string> {
    const hex = typeof rawTx === 'string' ? rawTx : Buffer.from(rawTx).toString('hex');
    if (!HEX.test(hex) || hex.length === 0) throw new Error('sendrawtransaction: rawTx must be non-empty hex');
    return expectHash('sendrawtransaction', await this.call('sendrawtransaction', [hex]));
  }

  async getRawMempool(): Promise<string[]> {
    const list = await this.call<unknown>('getrawmempool', [false]);
    if (!Array.isArray(list) || !list.every((t) => typeof t === 'string' && HASH_HEX.test(t))) throw new BitcoinRpcError('getrawmempool', undefined, 'expected a list of txids');
    return list as string[];
  }

  /** The mempool entry, or undefined when the tx is not in the mempool. */
  async getMempoolEntry(txid: string): Promise<MempoolEntry | undefined> {
    assertHash(txid, 'getmempoolentry');
    try {
      const entry = await this.call<MempoolEntry | null>('getmempoolentry', [txid]);
      return entry ?? undefined;
    } catch (err) {
      if (err instanceof BitcoinRpcError && err.code === RPC_INVALID_ADDRESS_OR_KEY) return undefined;
      // bcoin answers a miss with code -1 (its generic error), which could also mean
      // something else: settle it with the full mempool listing.
      if (err instanceof BitcoinRpcError && err.code !== undefined) {
        return (await this.getRawMempool()).includes(txid.toLowerCase()) ? {} : undefined;
      }
      throw err;
    }
  }

  /** `gettxoutproof [txid] blockhash`: BIP 37 merkle block bytes (parse with verify-bitcoin parseMerkleBlock). */
  async getTxOutProof(txids: string[], blockHash?: string): Promise<Uint8Array> {
    if (!Array.isArray(txids) || txids.length === 0) throw new Error('gettxoutproof: txids must be a non-empty list');
    txids.forEach((t) => assertHash(t, 'gettxoutproof'));
    const params: unknown[] = [txids];
    if (blockHash !== undefined) {
      assertHash(blockHash, 'gettxoutproof');
      params.push(blockHash);
    }
    return expectHex('gettxoutproof', await this.call('gettxoutproof', params));
  }

  /** Fee rate in sat/vB, or undefined when the node has no estimate (fresh regtest answers -1 or errors). */
  async estimateSmartFeeSatPerVb(confTarget: number): Promise<number | undefined> {
    if (!Number.isInteger(confTarget) || confTarget < 1 || confTarget > 1008) throw new RangeError(`estimatesmartfee: confTarget must be 1..1008, got ${confTarget}`);
    const answer = await this.call<{ feerate?: unknown; fee?: unknown }>('estimatesmartfee', [confTarget]);
    // bitcoind: feerate in BTC/kvB; bcoin 1.0: `fee` in BTC/kvB, -1 when unknown.
    const btcPerKvb = typeof answer?.feerate === 'number' ? answer.feerate : typeof answer?.fee === 'number' ? answer.fee : undefined;
    if (btcPerKvb === undefined || !(btcPerKvb > 0)) return undefined;
    return (btcPerKvb * 1e8) / 1000;
  }

  // --- regtest only ---
  async generateToAddress(blocks: number, address: string): Promise<string[]> {
    if (!Number.isInteger(blocks) || blocks < 1 || blocks > 10_000) throw new RangeError(`generatetoaddress: blocks must be 1..10000, got ${blocks}`);
    if (typeof address !== 'string' || address.length === 0) throw new Error('generatetoaddress: address is required');
    const hashes = await this.call<unknown>('generatetoaddress', [blocks, address]);
    if (!Array.isArray(hashes)) throw new BitcoinRpcError('generatetoaddress', undefined, 'expected a list of block hashes');
    return hashes.map((h) => expectHash('generatetoaddress', h));
  }

  async invalidateBlock(blockHash: string): Promise<void> {
    assertHash(blockHash, 'invalidateblock');
    await this.call('invalidateblock', [blockHash]);
  }

  async reconsiderBlock(blockHash: string): Promise<void> {
    assertHash(blockHash, 'reconsiderblock');
    await this.call('reconsiderblock', [blockHash]);
  }

  /** Whether the node accepts `address` as one of its network's addresses. */
  async validateAddress(address: string): Promise<boolean> {
    const answer = await this.call<{ isvalid?: unknown }>('validateaddress', [address]);
    return answer?.isvalid === true;
  }
}

function assertHeight(height: number, method: string): void {
  if (!Number.isInteger(height) || height < 0) throw new RangeError(`${method}: height must be a non-negative integer, got ${height}`);
}

function assertHash(hash: string, method: string): void {
  if (typeof hash !== 'string' || !HASH_HEX.test(hash)) throw new Error(`${method}: expected a 64-hex-digit hash, got ${JSON.stringify(hash)}`);
}

function expectInteger(method: string, value: unknown): number {
  if (!Number.isInteger(value)) throw new BitcoinRpcError(method, undefined, `expected an integer, got ${JSON.stringify(value)}`);
  return value as number;
}

function expectHash(method: string, value: unknown): string {
  if (typeof value !== 'string' || !HASH_HEX.test(value)) throw new BitcoinRpcError(method, undefined, `expected a hash, got ${JSON.stringify(value)}`);
  return value.toLowerCase();
}

function expectHex(method: string, value: unknown): Uint8Array {
  if (typeof value !== 'string' || !HEX.test(value)) throw new BitcoinRpcError(method, undefined, 'expected hex');
  return new Uint8Array(Buffer.from(value, 'hex'));
}
