// Small dependency-free probes for scripts/infra (raw wire protocol), much faster than a JVM
// or a driver: `node probe.js kafka <port>` sends a Metadata v1 request and prints one line
// "<topic> <partitions> <partitions without leader>" per topic; `node probe.js mongo <port>`
// sends OP_MSG {ping: 1, $db: "admin"} and prints "ok" when answered with ok: 1.
// FerretDB caches its metadata, so its ping (and even listDatabases) succeed while PostgreSQL
// is down.
const net = require('net');
const [mode, port] = process.argv.slice(2);
const i32 = (n) => {
  const b = Buffer.alloc(4);
  b.writeInt32LE(n);
  return b;
};
const cstr = (s) => Buffer.concat([Buffer.from(s), Buffer.from([0])]);
let req;
let need; // (buf) => total length of the response once known, else -1
if (mode === 'kafka') {
  const cid = Buffer.from('shop-infra-probe');
  const b = Buffer.alloc(4 + 2 + 2 + 4 + 2 + cid.length + 4);
  let o = 0;
  b.writeInt32BE(b.length - 4, o);
  o += 4;
  b.writeInt16BE(3, o);
  o += 2; // Metadata
  b.writeInt16BE(1, o);
  o += 2; // v1
  b.writeInt32BE(1, o);
  o += 4; // correlation id
  b.writeInt16BE(cid.length, o);
  o += 2;
  cid.copy(b, o);
  o += cid.length;
  b.writeInt32BE(-1, o); // null topic array = all topics
  req = b;
  need = (buf) => (buf.length >= 4 ? buf.readInt32BE(0) + 4 : -1);
} else {
  const db = cstr('admin');
  const body = Buffer.concat([
    Buffer.from([0x10]),
    cstr('ping'),
    i32(1),
    Buffer.from([0x02]),
    cstr('$db'),
    i32(db.length),
    db,
    Buffer.from([0]),
  ]);
  const doc = Buffer.concat([i32(body.length + 4), body]);
  const payload = Buffer.concat([i32(0), Buffer.from([0]), doc]);
  req = Buffer.concat([i32(16 + payload.length), i32(1), i32(0), i32(2013), payload]);
  need = (buf) => (buf.length >= 4 ? buf.readInt32LE(0) : -1);
}
const fail = (msg) => {
  console.error(msg);
  process.exit(1);
};
const sock = net.connect({ host: '127.0.0.1', port: Number(port) });
sock.setTimeout(5000, () => fail('timeout'));
sock.on('error', (e) => fail(e.message));
let buf = Buffer.alloc(0);
sock.on('connect', () => sock.write(req));
sock.on('data', (d) => {
  buf = Buffer.concat([buf, d]);
  const n = need(buf);
  if (n < 0 || buf.length < n) return;
  sock.destroy();
  try {
    (mode === 'kafka' ? parseKafka : parseMongo)(buf);
  } catch (e) {
    fail('bad response: ' + e.message);
  }
});
function parseKafka(b) {
  let o = 8; // size, correlation id
  const i16 = () => {
    const v = b.readInt16BE(o);
    o += 2;
    return v;
  };
  const i32 = () => {
    const v = b.readInt32BE(o);
    o += 4;
    return v;
  };
  const str = () => {
    const n = i16();
    if (n < 0) return null;
    const s = b.toString('utf8', o, o + n);
    o += n;
    return s;
  };
  const nb = i32();
  for (let i = 0; i < nb; i++) {
    i32();
    str();
    i32();
    str();
  }
  i32(); // controller id
  const nt = i32();
  const out = [];
  for (let i = 0; i < nt; i++) {
    const err = i16();
    const name = str();
    o += 1; // is_internal
    const np = i32();
    let noLeader = 0;
    for (let p = 0; p < np; p++) {
      const perr = i16();
      i32();
      const leader = i32();
      const nr = i32();
      o += 4 * nr;
      const ni = i32();
      o += 4 * ni;
      if (perr !== 0 || leader < 0) noLeader++;
    }
    out.push(`${name} ${np} ${err !== 0 ? np : noLeader}`);
  }
  if (nb === 0) fail('no brokers in metadata');
  console.log(out.join('\n'));
}
function parseMongo(b) {
  if (b.readInt32LE(12) !== 2013) fail('unexpected opcode');
  let o = 21 + 4; // header 16, flags 4, section kind 1, doc length 4
  const end = 21 + b.readInt32LE(21) - 1;
  let ok = 0;
  let errmsg = '';
  while (o < end) {
    const t = b[o++];
    const z = b.indexOf(0, o);
    const name = b.toString('utf8', o, z);
    o = z + 1;
    if (t === 0x01) {
      if (name === 'ok') ok = b.readDoubleLE(o);
      o += 8;
    } else if (t === 0x02) {
      const n = b.readInt32LE(o);
      if (name === 'errmsg') errmsg = b.toString('utf8', o + 4, o + 3 + n);
      o += 4 + n;
    } else if (t === 0x03 || t === 0x04) o += b.readInt32LE(o);
    else if (t === 0x10) {
      if (name === 'ok') ok = b.readInt32LE(o);
      o += 4;
    } else if (t === 0x08) o += 1;
    else if (t === 0x0a) o += 0;
    else if (t === 0x07) o += 12;
    else if (t === 0x09 || t === 0x11 || t === 0x12) o += 8;
    else break;
  }
  if (ok !== 1) fail('ping failed: ' + (errmsg || 'ok != 1'));
  console.log('ok');
}
