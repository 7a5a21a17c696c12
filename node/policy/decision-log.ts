/**
 * The policy decision log (bucket 27 `policyDecisions`): (space, seq) → decision record. Sequence numbers
 * are per space, handed out in this process (the node is the store's only writer), from the last stored.
 */
import type { PolicyDecisionRecord } from "../../core/policy/decision.js";
import { Batch, type NodeStore } from "../store/store.js";
import { Bucket } from "../store/buckets.js";
import { decodeNumber, encodeKey, prefixRange } from "../store/keys.js";
import * as dagCbor from "@ipld/dag-cbor";

export class PolicyDecisionLog {
  private readonly next = new Map<string, Promise<number>>();

  constructor(private readonly store: NodeStore) {}

  /** Append `record` under `space`; resolves with its sequence number once durable. */
  async append(space: string, record: PolicyDecisionRecord): Promise<number> {
    const previous = this.next.get(space) ?? this.last(space);
    const seq = previous.then((n) => n + 1);
    this.next.set(
      space,
      seq.catch(() => this.last(space)),
    );
    const n = await seq;
    await this.store.write(new Batch().put(Bucket.policyDecisions, [space, n], record));
    return n;
  }

  /** Decisions after `after`, oldest first. */
  async list(space: string, after: number, limit: number): Promise<{ seq: number; record: PolicyDecisionRecord }[]> {
    const range = prefixRange(Bucket.policyDecisions, space);
    const head = encodeKey(Bucket.policyDecisions, space).length + 1;
    const gte = after > 0 ? encodeKey(Bucket.policyDecisions, space, after + 1) : range.gte;
    const out: { seq: number; record: PolicyDecisionRecord }[] = [];
    for await (const [key, value] of this.store.db.iterator({ gte, lt: range.lt, limit })) {
      out.push({ seq: decodeNumber(key.subarray(head, head + 8)), record: dagCbor.decode(value) as PolicyDecisionRecord });
    }
    return out;
  }

  private async last(space: string): Promise<number> {
    const range = prefixRange(Bucket.policyDecisions, space);
    const head = encodeKey(Bucket.policyDecisions, space).length + 1;
    for await (const [key] of this.store.db.iterator({ ...range, reverse: true, limit: 1 })) return decodeNumber(key.subarray(head, head + 8));
    return 0;
  }
}
