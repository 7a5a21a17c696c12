/**
 * Requests Node's HTTP parser rejects before Fastify sees them (malformed request line, bad header,
 * header block over `maxHeaderBytes`, timeout) answer like every other error: a plain-text
 * `<CODE>: <reason>` body with a complete response (status, content type, length, `connection: close`),
 * instead of Fastify's default JSON body. The reason names the parser's complaint, never the request's bytes.
 */
import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import { formatErrorBody, HTTP_STATUS, type HttpErrorCode } from "../../core/http-errors.js";

interface ParserError extends Error {
  readonly code?: string;
  readonly reason?: string;
}

export function clientErrorHandler(error: ParserError, socket: Socket): void {
  // A reset or already-closed connection has no one to answer.
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  // A response already under way (an error in a chunked body after the answer started) cannot take a
  // second status line: close the connection, as Node's own handler does.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (inFlight?.headersSent === true) {
    socket.destroy(error);
    return;
  }
  const [code, reason] = classify(error);
  const status = HTTP_STATUS[code];
  const body = Buffer.from(formatErrorBody(code, reason), "utf8");
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`);
    socket.write(body);
  }
  socket.end();
  socket.destroySoon();
}

function classify(error: ParserError): [HttpErrorCode, string] {
  if (error.code === "HPE_HEADER_OVERFLOW") return ["HEADERS_TOO_LARGE", "the request's header block is larger than this node accepts"];
  if (error.code === "ERR_HTTP_REQUEST_TIMEOUT") return ["REQUEST_TIMEOUT", "the request was not received in time"];
  const said = (error.reason ?? error.message ?? "").replace(/[^\x20-\x7e]/g, "?").slice(0, 200);
  return ["BAD_HTTP_REQUEST", `malformed HTTP request (${error.code ?? "parse error"}${said !== "" ? `: ${said}` : ""})`];
}
