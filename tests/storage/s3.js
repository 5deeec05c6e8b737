// s3.js: S3-compatible test peer that really checks SigV4 (@20minutes/s3rver, installed
// by scripts/setup.sh into tests/node). Usage: node s3.js DIR PORT [BUCKET...]
// Credentials from S3_ACCESS_KEY/S3_SECRET_KEY. Prints "s3 listening on ADDR:PORT".
const path = require('path');
const base = process.env.S3RVER_NODE_MODULES || path.join(__dirname, '..', 'node', 'node_modules');
const S3rver = require(path.join(base, '@20minutes/s3rver'));
const { DUMMY_ACCOUNT } = require(path.join(base, '@20minutes/s3rver/lib/models/account'));
const [dir, port = '54568', ...buckets] = process.argv.slice(2);
if (process.env.S3_ACCESS_KEY) DUMMY_ACCOUNT.createKeyPair(process.env.S3_ACCESS_KEY, process.env.S3_SECRET_KEY);
new S3rver({ address: '127.0.0.1', port: Number(port), directory: dir, silent: true,
             vhostBuckets: false, configureBuckets: buckets.map((name) => ({ name })) })
  .run().then((a) => console.log(`s3 listening on ${a.address}:${a.port}`))
  .catch((e) => { console.error(e); process.exit(1); });
process.on('SIGTERM', () => process.exit(0));
