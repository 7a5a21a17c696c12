/**
 * The anchorer: submits proven batches to TinyCloudAnchor, strictly in order, exactly once.
 *
 * The chain is the source of truth. Every round reads `latestBatch` (at the confirmed block: head −
 * confirmations + 1) and reconciles the local records with it:
 *   - each local batch the chain holds must have the chain's root (`roots(n) == record.newRoot`);
 *     otherwise the chain holds a different history: fatal, anchoring stops with a clear error;
 *   - a local batch the chain holds that is still "proven" is marked "anchored" (its transaction is
 *     found from the receipt or the BatchAnchored logs): after a restart or a lost receipt nothing is
 *     submitted twice;
 *   - a local batch marked "anchored" that the chain no longer holds (reorg) is demoted to "proven".
 * Then the next batch (chain latest + 1), once proven, is checked (its public signals must be exactly
 * [chain root, newRoot, header(n) of this deployment, commitment]), simulated with eth_call (a revert is
 * decoded into the contract's custom error before any gas is spent), signed locally, its hash persisted
 * as `anchorTx` BEFORE it is broadcast, and sent with an explicit gas limit (never eth_estimateGas: the
 * Groth16 pairing staticcall makes estimates too low). A record with `anchorTx` is followed up first:
 * pending → wait; mined → confirmations; unknown → rebroadcast the same signed bytes (same nonce, so it
 * can only land once), or, after a restart, sign again.
 *
 * Failures: RPC/network errors → state "retrying", exponential backoff up to 10 s, forever;
 * WrongBatchNumber → re-sync with the chain at once; InvalidProof (or any other revert, or signals
 * that cannot verify) → state "error" for that batch, no resubmission until its record changes;
 * a chain with another history, another chain id or without the contracts → fatal state "error".
 */
import { encodeGroth16Proof } from "../../core/rollup/calldata.js";
import { encodeFunctionData, getAddress, keccak256, TransactionNotFoundError, TransactionReceiptNotFoundError, type Address, type Hash, type Hex, type TransactionReceipt } from "viem";
import { ANCHOR_ABI } from "../../contracts/abi.js";
import { TinyCloudError } from "../../core/errors.js";
import { batchHeader, epochContext } from "../../core/rollup/header.js";
import type { RollupStore } from "../rollup/rollup-store.js";
import type { BatchRecord } from "../rollup/types.js";
import type { ChainPublicClient, ChainWalletClient } from "./clients.js";
import { ChainError, decodeContractError, describeChainError, formatContractError, isTransientRpcError, revertData, type ChainErrorCode } from "./contract-errors.js";
import { checkDeployment, deployedVerifier, type Deployment } from "./deployment.js";

export interface AnchorerOptions {
  readonly publicClient: ChainPublicClient;
  /** Wallet client of a local (private-key) account that the anchor authorizes as sequencer. */
  readonly walletClient: ChainWalletClient;
  readonly deployment: Deployment;
  readonly rollup: RollupStore;
  /** A batch counts as anchored once its transaction has this many confirmations (default 1). */
  readonly confirmations?: number;
  /** Idle / confirmation polling interval (default 2 s). */
  readonly pollIntervalMs?: number;
  /** Gas limit of submitBatch (default 1,500,000; measured use is ~300k). */
  readonly gasLimit?: bigint;
  /** Longest retry backoff (default 10 s). */
  readonly maxBackoffMs?: number;
  /** Called after a record was marked anchored. */
  readonly onAnchored?: (record: BatchRecord) => void;
  readonly log?: (line: string) => void;
}

export type AnchorerState = "idle" | "submitting" | "confirming" | "retrying" | "error";

export interface AnchorerStatus {
  readonly state: AnchorerState;
  readonly chainId: number;
  readonly anchor: Address;
  readonly sequencer: Address;
  /** The chain's latest batch at the confirmed block (0 before the first round). */
  readonly anchoredBatch: number;
  /** The batch being submitted / confirmed, if any. */
  readonly pendingBatch?: number;
  readonly lastTx?: Hash;
  readonly lastError?: string;
  readonly confirmations: number;
  /** The error stops anchoring for good (the chain holds another history, the contracts are gone). */
  readonly fatal: boolean;
}

/** Deterministic failures of one batch (bad proof, foreign signals): no resubmission until the record changes. */
class BatchRejected extends TinyCloudError<"ANCHOR_BATCH_REJECTED"> {
  override readonly name = "BatchRejected" as const;
  constructor(
    readonly batch: number,
    message: string,
  ) {
    super("ANCHOR_BATCH_REJECTED", message, { details: { batch } });
  }
}

const FATAL: ReadonlySet<ChainErrorCode> = new Set(["CHAIN_HISTORY_MISMATCH", "CHAIN_WRONG_CHAIN_ID", "CHAIN_NO_CODE", "CHAIN_DEPLOYMENT_MISMATCH"]);

type RoundResult = "again" | "wait";

export class Anchorer {
  readonly #o: AnchorerOptions;
  readonly #confirmations: number;
  readonly #pollMs: number;
  readonly #gasLimit: bigint;
  readonly #maxBackoffMs: number;
  readonly #anchor: Address;
  readonly #sequencer: Address;
  readonly #log: (line: string) => void;

  #state: AnchorerState = "idle";
  #fatal = false;
  #lastError: string | undefined;
  #lastTx: Hash | undefined;
  #pendingBatch: number | undefined;
  #anchoredBatch = 0;

  #loop: Promise<void> | undefined;
  #stopped = false;
  #woken = false;
  #wake: (() => void) | undefined;

  /** Deployment checked and sequencer authorized (once per start, again after NotSequencer). */
  #checked = false;
  /** Highest batch whose local root was compared with the chain's. */
  #verifiedThrough = -1;
  /** Highest batch such that every local record up to it is "anchored". */
  #anchoredThrough = -1;
  /** Signed transactions we broadcast, by hash: a lost broadcast is repeated byte for byte. */
  readonly #signed = new Map<Hash, Hex>();
  /** A batch the contract (or our checks) rejected, with the proof it was rejected for. */
  #rejected: { batch: number; key: string } | undefined;
  /** Reverted receipts per batch (a revert that simulation did not predict). */
  #reverts = new Map<number, number>();
  #againStreak = 0;

  constructor(options: AnchorerOptions) {
    this.#o = options;
    this.#confirmations = options.confirmations ?? 1;
    if (!Number.isSafeInteger(this.#confirmations) || this.#confirmations < 1) throw new RangeError("confirmations must be a positive integer");
    this.#pollMs = options.pollIntervalMs ?? 2_000;
    this.#gasLimit = options.gasLimit ?? 1_500_000n;
    this.#maxBackoffMs = options.maxBackoffMs ?? 10_000;
    this.#anchor = getAddress(options.deployment.anchor);
    this.#sequencer = getAddress(options.walletClient.account.address);
    this.#log = options.log ?? (() => {});
  }

  start(): void {
    if (this.#loop !== undefined) return;
    this.#stopped = false;
    this.#checked = false;
    this.#verifiedThrough = -1;
    this.#anchoredThrough = -1;
    this.#loop = this.#run();
  }

  /** A batch was proven (or anything else changed): run a round now instead of at the next poll. */
  notify(): void {
    this.#woken = true;
    this.#wake?.();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
    this.#loop = undefined;
  }

  status(): AnchorerStatus {
    return {
      state: this.#state,
      chainId: this.#o.deployment.chainId,
      anchor: this.#anchor,
      sequencer: this.#sequencer,
      anchoredBatch: this.#anchoredBatch,
      ...(this.#pendingBatch !== undefined ? { pendingBatch: this.#pendingBatch } : {}),
      ...(this.#lastTx !== undefined ? { lastTx: this.#lastTx } : {}),
      ...(this.#lastError !== undefined ? { lastError: this.#lastError } : {}),
      confirmations: this.#confirmations,
      fatal: this.#fatal,
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Loop

  async #run(): Promise<void> {
    let backoff = 0;
    while (!this.#stopped) {
      try {
        const result = await this.#round();
        backoff = 0;
        if (this.#state === "retrying") this.#state = "idle";
        if (this.#state !== "error") this.#lastError = undefined;
        if (result === "again" && ++this.#againStreak <= 5) continue;
        this.#againStreak = 0;
        await this.#sleep(this.#pollMs, true);
      } catch (error) {
        this.#againStreak = 0;
        if (error instanceof ChainError && FATAL.has(error.code)) {
          this.#fail(error.message, true);
          this.#log(`FATAL: ${error.message} — anchoring stopped`);
          return;
        }
        if (error instanceof BatchRejected) {
          this.#fail(error.message, false);
          this.#log(`batch ${error.batch} rejected: ${error.message}`);
          await this.#sleep(this.#pollMs, true);
          continue;
        }
        const message = describeChainError(error);
        backoff = Math.min(this.#maxBackoffMs, backoff === 0 ? 250 : backoff * 2);
        if (isTransientRpcError(error)) {
          this.#state = "retrying";
          this.#lastError = message;
        } else {
          this.#fail(message, false);
        }
        this.#log(`${this.#state}: ${message} (next try in ${backoff} ms)`);
        await this.#sleep(backoff, false);
      }
    }
  }

  #fail(message: string, fatal: boolean): void {
    this.#state = "error";
    this.#lastError = message;
    this.#fatal = fatal;
  }

  async #sleep(ms: number, wakeable: boolean): Promise<void> {
    if (this.#stopped) return;
    if (wakeable && this.#woken) {
      this.#woken = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = wakeable ? done : () => (this.#stopped ? done() : undefined);
    });
    if (wakeable) this.#woken = false;
  }

  // ---------------------------------------------------------------------------------------------
  // One round

  async #round(): Promise<RoundResult> {
    const { publicClient, rollup, deployment } = this.#o;
    if (!this.#checked) {
      await checkDeployment(publicClient, deployment);
      const authorized = await publicClient.readContract({ address: this.#anchor, abi: ANCHOR_ABI, functionName: "isSequencer", args: [this.#sequencer] });
      if (!authorized) throw new ChainError("CHAIN_NOT_SEQUENCER", `account ${this.#sequencer} is not an authorized sequencer of the anchor ${this.#anchor} (owner: call setSequencer)`);
      this.#checked = true;
      this.#log(`anchoring to ${this.#anchor} on chain ${deployment.chainId} as ${this.#sequencer} (${this.#confirmations} confirmation(s))`);
    }

    // Two views of the chain: the head (what the next submission must follow) and the confirmed block
    // (head − confirmations + 1: what counts as anchored).
    const head = await publicClient.getBlockNumber();
    const confirmedBlock = head - BigInt(this.#confirmations - 1);
    const at = this.#confirmations === 1 ? {} : { blockNumber: confirmedBlock };
    const deployBlock = BigInt(deployment.deployBlock);
    const confirmedLatest = confirmedBlock < deployBlock ? 0 : Number(await this.#read("latestBatch", [], at));
    const headLatest = this.#confirmations === 1 ? confirmedLatest : Number(await this.#read("latestBatch", []));
    this.#anchoredBatch = confirmedLatest;
    const localLatest = await rollup.latestBatch();
    const upTo = Math.min(confirmedLatest, localLatest);

    if (this.#verifiedThrough < 0) await this.#initCursors(upTo);

    // 1. Every local batch the chain holds must have the chain's root.
    for (let n = this.#verifiedThrough + 1; n <= upTo; n++) {
      const record = await this.#record(n);
      const root = await this.#read("roots", [BigInt(n)], at);
      if (root.toString() !== record.newRoot) {
        throw new ChainError(
          "CHAIN_HISTORY_MISMATCH",
          `the chain holds a different history: the anchor's root of batch ${n} is ${root}, this node's is ${record.newRoot} (anchor ${this.#anchor}, chain ${deployment.chainId})`,
          { details: { batch: n, chainRoot: root.toString(), localRoot: record.newRoot } },
        );
      }
      this.#verifiedThrough = n;
    }
    // 2. …and is marked anchored here (proven ones; a batch still being proven is marked once proven).
    for (let n = this.#anchoredThrough + 1; n <= upTo; n++) {
      const record = await this.#record(n);
      if (record.status === "proven") await this.#markAnchored(record, confirmedBlock);
      else if (record.status !== "anchored") break;
      this.#anchoredThrough = n;
    }

    if (headLatest > localLatest) {
      this.#fail(`the anchor holds batch ${headLatest} but this node only has ${localLatest} batches: the data directory is behind the chain (or another sequencer anchors to this contract)`, false);
      return "wait";
    }
    // Batches mined but not yet `confirmations` deep.
    const confirming = headLatest > confirmedLatest;
    const next = headLatest + 1;
    if (next > localLatest) return confirming ? this.#confirming(confirmedLatest + 1) : this.#idle();
    let record = await this.#record(next);

    // 3. A local "anchored" batch the chain does not hold (any more): demote, anchor again.
    if (record.status === "anchored") {
      await this.#demote(next, localLatest, headLatest);
      record = await this.#record(next);
    }
    if (record.status !== "proven") return confirming ? this.#confirming(confirmedLatest + 1) : this.#idle();

    // 4. Follow up a transaction sent earlier (this run or before a restart).
    if (record.anchorTx !== undefined) {
      const followUp = await this.#followUp(record, head);
      if (followUp !== "resubmit") return followUp;
      record = await this.#record(next);
    }

    // 5. Submit (on top of the head: batch headLatest + 1 from root roots[headLatest]).
    return this.#submit(record, headLatest);
  }

  #confirming(batch: number): RoundResult {
    this.#state = "confirming";
    this.#pendingBatch = batch;
    return "wait";
  }

  #idle(): RoundResult {
    if (this.#state !== "error" || !this.#fatal) {
      this.#state = "idle";
      this.#pendingBatch = undefined;
    }
    return "wait";
  }

  /** Start-up: skip the already-anchored prefix of local records (verify its last root only). */
  async #initCursors(upTo: number): Promise<void> {
    let k = upTo;
    while (k > 0 && (await this.#record(k)).status !== "anchored") k--;
    this.#verifiedThrough = Math.max(0, k - 1);
    this.#anchoredThrough = Math.max(0, k - 1);
  }

  async #record(n: number): Promise<BatchRecord> {
    const record = await this.#o.rollup.batch(n);
    if (record === undefined) throw new Error(`rollup batch ${n} is missing from the store`);
    return record;
  }

  async #read(functionName: "latestBatch" | "roots", args: readonly bigint[], at: { blockNumber?: bigint } = {}): Promise<bigint> {
    const value = await this.#o.publicClient.readContract({
      address: this.#anchor,
      abi: ANCHOR_ABI,
      functionName,
      args: args as never,
      ...at,
    } as never);
    return BigInt(value as bigint | number);
  }

  async #markAnchored(record: BatchRecord, confirmedBlock: bigint): Promise<void> {
    const { publicClient, deployment, rollup } = this.#o;
    let tx: Hash | undefined;
    let block: bigint | undefined;
    if (record.anchorTx !== undefined) {
      const receipt = await this.#receipt(record.anchorTx as Hash);
      if (receipt?.status === "success" && this.#anchorsBatch(receipt, record.number)) {
        tx = receipt.transactionHash;
        block = receipt.blockNumber;
      }
    }
    if (tx === undefined) {
      try {
        const logs = await publicClient.getContractEvents({
          address: this.#anchor,
          abi: ANCHOR_ABI,
          eventName: "BatchAnchored",
          args: { batchNumber: BigInt(record.number) },
          fromBlock: BigInt(deployment.deployBlock),
          toBlock: confirmedBlock,
        });
        const log = logs[logs.length - 1];
        if (log !== undefined && log.transactionHash !== null && log.blockNumber !== null) {
          tx = log.transactionHash;
          block = log.blockNumber;
        }
      } catch (error) {
        // Providers limit log ranges; the root is verified on chain already, the tx is only bookkeeping.
        if (isTransientRpcError(error)) throw error;
        this.#log(`batch ${record.number}: cannot search the BatchAnchored logs (${describeChainError(error)})`);
      }
    }
    let anchoredAt = Date.now();
    if (block !== undefined) anchoredAt = Number((await publicClient.getBlock({ blockNumber: block })).timestamp) * 1000;
    else this.#log(`batch ${record.number}: anchored on chain, but no BatchAnchored log was found (pruned logs?)`);
    const current = await this.#record(record.number);
    const { anchorTx: _tx, anchorBlock: _block, ...rest } = current;
    const anchored: BatchRecord = {
      ...rest,
      status: "anchored",
      anchoredAt,
      ...(tx !== undefined ? { anchorTx: tx } : {}),
      ...(block !== undefined ? { anchorBlock: Number(block) } : {}),
    };
    await rollup.updateBatch(anchored);
    if (tx !== undefined) this.#signed.delete(tx);
    if (this.#pendingBatch === record.number) this.#pendingBatch = undefined;
    if (this.#rejected?.batch === record.number) this.#rejected = undefined;
    if (this.#state !== "error" || this.#rejected === undefined) {
      this.#state = "idle";
      this.#lastError = undefined;
    }
    // The node prints the console line (block, time since the cut, tx) from onAnchored: one line per batch.
    this.#o.onAnchored?.(anchored);
  }

  #anchorsBatch(receipt: TransactionReceipt, batch: number): boolean {
    // BatchAnchored(uint64 indexed batchNumber, …): topics[1] is the batch number.
    return receipt.logs.some((log) => getAddress(log.address) === this.#anchor && log.topics.length >= 2 && log.topics[1] !== undefined && BigInt(log.topics[1]) === BigInt(batch));
  }

  async #demote(from: number, localLatest: number, headLatest: number): Promise<void> {
    for (let n = from; n <= localLatest; n++) {
      const record = await this.#record(n);
      if (record.status !== "anchored") break;
      const { anchorTx: _tx, anchorBlock: _block, anchoredAt: _at, ...rest } = record;
      await this.#o.rollup.updateBatch({ ...rest, status: "proven" });
      this.#log(`batch ${n} was recorded as anchored, but the anchor's latest batch is ${headLatest} (reorg or chain reset?): anchoring it again`);
    }
    this.#anchoredThrough = Math.min(this.#anchoredThrough, from - 1);
    this.#verifiedThrough = Math.min(this.#verifiedThrough, from - 1);
  }

  async #receipt(hash: Hash): Promise<TransactionReceipt | undefined> {
    try {
      return await this.#o.publicClient.getTransactionReceipt({ hash });
    } catch (error) {
      if (error instanceof TransactionReceiptNotFoundError) return undefined;
      throw error;
    }
  }

  /** A transaction for `record` was sent before: wait for it, or decide to submit again. */
  async #followUp(record: BatchRecord, head: bigint): Promise<RoundResult | "resubmit"> {
    const { publicClient } = this.#o;
    const hash = record.anchorTx as Hash;
    this.#lastTx = hash;
    this.#pendingBatch = record.number;
    const receipt = await this.#receipt(hash);
    if (receipt !== undefined) {
      if (receipt.status === "success") {
        // Mined after this round read the chain: look again now.
        if (receipt.blockNumber > head) return "again";
        this.#log(`batch ${record.number}: transaction ${hash} succeeded in block ${receipt.blockNumber} but the anchor did not advance (reorg?): submitting again`);
        await this.#clearTx(record);
        return "resubmit";
      }
      const reverts = (this.#reverts.get(record.number) ?? 0) + 1;
      this.#reverts.set(record.number, reverts);
      await this.#clearTx(record);
      this.#signed.delete(hash);
      const message = `transaction ${hash} anchoring batch ${record.number} reverted in block ${receipt.blockNumber} (gas used ${receipt.gasUsed} of ${this.#gasLimit})`;
      if (reverts >= 3) {
        this.#rejected = { batch: record.number, key: proofKey(record) };
        throw new BatchRejected(record.number, `${message}; ${reverts} reverts in a row, giving up on this proof`);
      }
      // Simulate again (next round): it tells why (WrongBatchNumber after a race, …).
      throw new ChainError("CHAIN_REVERTED", message);
    }
    let pending = false;
    try {
      await publicClient.getTransaction({ hash });
      pending = true;
    } catch (error) {
      if (!(error instanceof TransactionNotFoundError)) throw error;
    }
    if (pending) {
      this.#state = "confirming";
      return "wait";
    }
    const signed = this.#signed.get(hash);
    if (signed !== undefined) {
      // Broadcast lost (connection dropped, node restarted): send the very same bytes again.
      this.#state = "submitting";
      this.#log(`batch ${record.number}: transaction ${hash} is unknown to the node, broadcasting it again`);
      await this.#broadcast(record, hash, signed);
      this.#state = "confirming";
      return "wait";
    }
    this.#log(`batch ${record.number}: transaction ${hash} (sent before a restart) is unknown to the node: submitting again`);
    await this.#clearTx(record);
    return "resubmit";
  }

  async #clearTx(record: BatchRecord): Promise<void> {
    const current = await this.#record(record.number);
    const { anchorTx: _tx, ...rest } = current;
    await this.#o.rollup.updateBatch(rest);
  }

  async #submit(record: BatchRecord, chainLatest: number): Promise<RoundResult> {
    const { publicClient, walletClient, deployment, rollup } = this.#o;
    const n = record.number;
    const key = proofKey(record);
    if (this.#rejected !== undefined && this.#rejected.batch === n && this.#rejected.key === key) {
      this.#state = "error";
      this.#pendingBatch = n;
      return "wait";
    }
    this.#rejected = undefined;
    const reject = (message: string): never => {
      this.#rejected = { batch: n, key };
      throw new BatchRejected(n, `batch ${n}: ${message}`);
    };

    // The proof must be for exactly what the contract will feed the verifier.
    const chainRoot = (await this.#read("roots", [BigInt(chainLatest)])).toString();
    const header = batchHeader(n, epochContext(deployment.chainId, this.#anchor)).toString();
    const signals = record.publicSignals ?? [];
    if (record.proof === undefined || signals.length !== 4) reject("the record has no proof / public signals");
    if (signals[0] !== chainRoot) reject(`proven from root ${signals[0]}, but the anchor's latest root (batch ${chainLatest}) is ${chainRoot}`);
    if (signals[2] !== header) reject(`proven for header ${signals[2]}, but this deployment's header is ${header} (the batch was cut for another chain id / anchor)`);
    if (signals[1] !== record.newRoot || signals[3] !== record.commitment) reject("its public signals are not the record's new root and commitment");
    if (record.circuit === undefined) reject("the record names no circuit");
    let verifierId: Hex;
    try {
      verifierId = deployedVerifier(deployment, record.circuit as string).verifierId;
    } catch (error) {
      return reject((error as Error).message);
    }
    let proofBytes: Hex;
    try {
      proofBytes = encodeGroth16Proof(record.proof);
    } catch (error) {
      return reject(`malformed proof: ${(error as Error).message}`);
    }
    const data = encodeFunctionData({
      abi: ANCHOR_ABI,
      functionName: "submitBatch",
      args: [verifierId, BigInt(n), BigInt(record.newRoot), BigInt(record.commitment), proofBytes],
    });

    // Simulate first: a revert costs no gas and decodes into the contract's error.
    this.#state = "submitting";
    this.#pendingBatch = n;
    try {
      await publicClient.call({ account: walletClient.account, to: this.#anchor, data, gas: this.#gasLimit });
    } catch (error) {
      const decoded = decodeContractError(error);
      if (decoded !== undefined) {
        const text = formatContractError(decoded);
        if (decoded.name === "TinyCloudAnchor__WrongBatchNumber") {
          this.#log(`batch ${n}: ${text}: re-syncing with the chain`);
          return "again";
        }
        if (decoded.name === "TinyCloudAnchor__NotSequencer") {
          this.#checked = false;
          throw new ChainError("CHAIN_NOT_SEQUENCER", `account ${this.#sequencer} is not an authorized sequencer of the anchor ${this.#anchor}: ${text}`);
        }
        if (decoded.name === "TinyCloudAnchor__InvalidProof") return reject(`the anchor rejects the proof: ${text}`);
        return reject(`the anchor rejects the submission: ${text}`);
      }
      if (isTransientRpcError(error)) throw error;
      if (revertData(error) !== undefined || /revert|out of gas/i.test(describeChainError(error))) return reject(`the submission reverts: ${describeChainError(error)}`);
      throw error;
    }

    // Sign here, persist the hash, then broadcast: a crash in between leaves a hash we can follow up.
    const request = await walletClient.prepareTransactionRequest({
      account: walletClient.account,
      chain: walletClient.chain,
      to: this.#anchor,
      data,
      gas: this.#gasLimit,
    });
    const signed = await walletClient.signTransaction(request as never);
    const hash = keccak256(signed);
    const current = await this.#record(n);
    await rollup.updateBatch({ ...current, anchorTx: hash });
    this.#signed.set(hash, signed);
    this.#lastTx = hash;
    this.#log(`batch ${n}: submitting ${hash} (nonce ${request.nonce}, circuit ${record.circuit})`);
    await this.#broadcast(record, hash, signed);
    this.#state = "confirming";
    return "wait";
  }

  async #broadcast(record: BatchRecord, hash: Hash, signed: Hex): Promise<void> {
    try {
      await this.#o.publicClient.sendRawTransaction({ serializedTransaction: signed });
    } catch (error) {
      const message = describeChainError(error);
      if (/already known|known transaction|already imported|already exists/i.test(message)) return;
      if (/nonce too low|nonce.*(used|expired)|replacement transaction underpriced/i.test(message)) {
        // This signed transaction can never be mined: forget it; the next round re-syncs and re-signs.
        this.#signed.delete(hash);
        await this.#clearTx(record);
      }
      throw error;
    }
  }
}

function proofKey(record: BatchRecord): string {
  return JSON.stringify([record.circuit, record.proof, record.publicSignals]);
}
