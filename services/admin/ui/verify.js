// Ledger verification in the browser, independent of the server's word:
// hash = lowercase hex SHA-256 of prev_hash + "\n" + JCS(entry without
// "hash") (CONTRACT.md), seq 1..n without gaps, prev_hash linking to the
// previous hash. JCS (RFC 8785) for JSON parsed by JSON.parse is exactly:
// object keys sorted by UTF-16 code units (Array.prototype.sort's order),
// strings and numbers as ES2015+ JSON.stringify writes them.
"use strict";

function jcs(v) {
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) return "[" + v.map(jcs).join(",") + "]";
  return "{" + Object.keys(v).sort().map((k) => JSON.stringify(k) + ":" + jcs(v[k])).join(",") + "}";
}

// sha256Fallback is SHA-256 (FIPS 180-4) over bytes, for pages served over
// plain HTTP from another host, where WebCrypto is not offered.
function sha256Fallback(bytes) {
  const K = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]);
  const H = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const n = bytes.length, padded = new Uint8Array(((n + 9 + 63) >> 6) << 6);
  padded.set(bytes);
  padded[n] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(n / 0x20000000));
  view.setUint32(padded.length - 4, (n << 3) >>> 0);
  const W = new Uint32Array(64);
  const rotr = (x, r) => (x >>> r) | (x << (32 - r));
  for (let off = 0; off < padded.length; off += 64) {
    for (let i = 0; i < 16; i++) W[i] = view.getUint32(off + 4 * i);
    for (let i = 16; i < 64; i++) {
      const s0 = rotr(W[i - 15], 7) ^ rotr(W[i - 15], 18) ^ (W[i - 15] >>> 3);
      const s1 = rotr(W[i - 2], 17) ^ rotr(W[i - 2], 19) ^ (W[i - 2] >>> 10);
      W[i] = (W[i - 16] + s0 + W[i - 7] + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, h] = H;
    for (let i = 0; i < 64; i++) {
      const t1 = (h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + W[i]) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      h = g; g = f; f = e; e = (d + t1) >>> 0; d = c; c = b; b = a; a = (t1 + t2) >>> 0;
    }
    H[0] += a; H[1] += b; H[2] += c; H[3] += d; H[4] += e; H[5] += f; H[6] += g; H[7] += h;
  }
  return Array.from(H, (x) => x.toString(16).padStart(8, "0")).join("");
}

async function sha256Hex(text) {
  const bytes = new TextEncoder().encode(text);
  if (globalThis.crypto && crypto.subtle && !globalThis.countersignNoWebCrypto) {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  return sha256Fallback(bytes);
}

// entryHash recomputes an entry's hash from its content.
async function entryHash(entry) {
  const body = Object.assign({}, entry);
  delete body.hash;
  return sha256Hex((typeof entry.prev_hash === "string" ? entry.prev_hash : "") + "\n" + jcs(body));
}

// verifyChain checks entries (as the API returned them) of tenant/id and
// returns {ok, results: [{ok, reason}] per entry, brokenAt, reason}.
async function verifyChain(entries, tenant, id) {
  const results = [];
  let prev = "", broken = null;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i], seq = i + 1;
    let reason = "";
    if (e === null || typeof e !== "object" || Array.isArray(e)) reason = "not a JSON object";
    else if (e.seq !== seq) reason = "seq is " + e.seq + ", want " + seq;
    else if (e.tenant !== tenant || e.envelope_id !== id) reason = "entry of " + e.tenant + "/" + e.envelope_id;
    else if (e.prev_hash !== prev) reason = "prev_hash does not link to the previous entry";
    else {
      const want = await entryHash(e);
      if (e.hash !== want) reason = "content hashes to " + want.slice(0, 16) + "…, entry says " + String(e.hash).slice(0, 16) + "…";
    }
    if (!reason && broken) reason = "after the break";
    results.push({ ok: !reason, reason });
    if (reason && !broken) broken = { seq, reason };
    prev = e && e.hash;
  }
  return { ok: !broken, results, brokenAt: broken ? broken.seq : 0, reason: broken ? broken.reason : "" };
}

globalThis.countersignVerify = { jcs, sha256Hex, sha256Fallback, entryHash, verifyChain };
