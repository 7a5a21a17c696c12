/** CLI commands over the pure protocol core: inspect DIDs, URIs and tokens, make session keys. */
import type { Command } from "commander";
import { canonicalAbility, isKnownAbility } from "../core/abilities.js";
import { describeCapability } from "../core/capability.js";
import { cacaoMessage, verifyCacao } from "../core/auth/cacao.js";
import { parseDid, parseDidUrl } from "../core/did.js";
import { bytesToHex } from "../core/encoding.js";
import { ed25519Signer, generateEd25519SecretKey } from "../core/keys.js";
import { delegationFromCacao, delegationFromUcan } from "../core/auth/records.js";
import { formatResourceUri, parseResourceUri } from "../core/resource.js";
import { decodeAuthorization } from "../core/auth/verify.js";
import { verifyUcanSignature } from "../core/auth/ucan.js";

function print(value: unknown): void {
  console.log(JSON.stringify(value, (_k, v: unknown) => (v instanceof Uint8Array ? bytesToHex(v) : typeof v === "bigint" ? v.toString() : v), 2));
}

export function registerProtocolCommands(program: Command): void {
  program
    .command("did")
    .description("parse a DID or DID URL and print its canonical form (did:pkh addresses EIP-55 checksummed)")
    .argument("<did>", "did:pkh:eip155:<chain>:<address> or did:key:z…[#fragment]")
    .action((text: string) => {
      const { did, fragment } = parseDidUrl(text);
      const parsed = parseDid(did);
      print({ ...parsed, ...(fragment !== undefined ? { fragment } : {}) });
    });

  program
    .command("uri")
    .description("parse a TinyCloud resource URI (current space form or legacy orbit form)")
    .argument("<uri>", "tinycloud:<did-suffix>:<space>/<service>/<path> or tinycloud:<did-suffix>://<name>/…")
    .action((text: string) => {
      const parsed = parseResourceUri(text);
      print({ ...parsed, canonical: formatResourceUri(parsed) });
    });

  program
    .command("ability")
    .description("canonicalize an ability and say whether the registry knows it")
    .argument("<ability>", "tinycloud.kv/get, or a legacy form such as kv/get or orbit/host")
    .action((text: string) => print({ canonical: canonicalAbility(text), known: isKnownAbility(text) }));

  program
    .command("inspect")
    .description("decode an Authorization value (CACAO or UCAN), verify its signature and print what it grants")
    .argument("<token>", "the Authorization header value")
    .action((token: string) => {
      const decoded = decodeAuthorization(token);
      if (decoded.kind === "cacao") {
        const recap = verifyCacao(decoded.cacao.cacao);
        const record = delegationFromCacao(decoded.cacao, recap);
        print({
          kind: "cacao",
          cid: decoded.cacao.cid.toString(),
          signature: "valid",
          delegator: record.issuer,
          delegatee: record.audience,
          capabilities: record.capabilities.map(describeCapability),
          notBefore: record.notBefore,
          expiration: record.expiration,
          message: cacaoMessage(decoded.cacao.cacao),
        });
      } else {
        verifyUcanSignature(decoded.ucan);
        const record = delegationFromUcan(decoded.ucan);
        print({
          kind: "ucan",
          version: decoded.ucan.version,
          cid: decoded.ucan.cid.toString(),
          signature: "valid",
          issuer: record.issuer,
          audience: record.audience,
          capabilities: record.capabilities.map(describeCapability),
          proofs: record.proofs.map(String),
          notBefore: record.notBefore,
          expiration: record.expiration,
        });
      }
    });

  program
    .command("keygen")
    .description("generate an Ed25519 session key and print its did:key (the secret goes to stdout: redirect it to a file)")
    .action(() => {
      const secretKey = generateEd25519SecretKey();
      const signer = ed25519Signer(secretKey);
      print({ did: signer.did, verificationMethod: signer.verificationMethod, secretKeyHex: bytesToHex(secretKey) });
    });
}
