/**
 * A private entry, verified in the browser: the reader pastes its session key (what `tinycloud verify
 * --auth-key` reads) and the CIDs of the delegations to it (`--proof`), so the page can sign the
 * kv/get invocations that make the node serve the salted proof; and it may pick the value file (what
 * `--value-file` reads), which is hashed here. Neither the key nor the file's bytes leave the browser:
 * the key only signs, and the file is read with File.arrayBuffer() and handed to the core, never to fetch.
 */
import { readAuthorization, type ReadAuthorization } from "../transports/read-auth.js";
import { parseProofCids, signerFromKeyText } from "../transports/reader-key-text.js";
import { $ } from "./dom.js";

export interface PrivateInputs {
  readonly authorization?: ReadAuthorization;
  /** The picked file's bytes and name. */
  readonly file?: { readonly bytes: Uint8Array; readonly name: string };
}

/** What the user entered (nothing: {}). Throws with a message naming the field for a bad key or CID. */
export async function readPrivateInputs(): Promise<PrivateInputs> {
  const keyText = $<HTMLTextAreaElement>("#reader-key").value;
  const proofText = $<HTMLInputElement>("#reader-proofs").value;
  const picked = $<HTMLInputElement>("#value-file").files?.[0];
  let authorization: ReadAuthorization | undefined;
  if (keyText.trim() !== "") {
    let signer;
    let proofs;
    try {
      signer = signerFromKeyText(keyText);
    } catch (error) {
      throw new Error(`reader key: ${error instanceof Error ? error.message : String(error)}`);
    }
    try {
      proofs = parseProofCids(proofText);
    } catch (error) {
      throw new Error(`delegation CIDs: ${error instanceof Error ? error.message : String(error)}`);
    }
    authorization = readAuthorization({ signer, proofs });
    $("#reader-did").textContent = `signs as ${signer.did}`;
  } else if (proofText.trim() !== "") {
    throw new Error("delegation CIDs need the reader key they are addressed to");
  }
  const file = picked === undefined ? undefined : { bytes: new Uint8Array(await picked.arrayBuffer()), name: picked.name };
  return { ...(authorization !== undefined ? { authorization } : {}), ...(file !== undefined ? { file } : {}) };
}

/** Open the private-entry form when the URI names a private space (anything not named "public"). */
export function offerPrivateInputs(isPublic: boolean): void {
  if (!isPublic) $<HTMLDetailsElement>("#private").open = true;
}
