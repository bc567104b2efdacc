// Sends notifications to herald-emulator's APNs port with @parse/node-apn,
// the widely used Node.js APNs client: with token auth (the .p8 key that
// `herald-emulator init` created) to GOOD_TOKEN and DEAD_TOKEN, and with
// certificate auth (init's client certificate) to CERT_TOKEN.  Run by
// test_interop_node.sh, which trusts the emulator's CA through
// NODE_EXTRA_CA_CERTS.
//
// usage: node interop_apn.js PORT KEY.p8 KEY_ID TEAM_ID TOPIC GOOD_TOKEN DEAD_TOKEN
//                            CERT.pem CERT_KEY.pem CERT_TOKEN
// Prints one JSON line: {"good": <send result>, "dead": ..., "cert": ..., "version": ...}.
'use strict';

const apn = require('@parse/node-apn');

async function main() {
  const [port, keyFile, keyId, teamId, topic, good, dead, certFile, certKey, certDevice] =
    process.argv.slice(2);
  // node-apn hands its whole config to http2.connect('https://' + address),
  // and tls.connect takes the port from those options.
  const provider = new apn.Provider({
    token: { key: keyFile, keyId, teamId },
    address: '127.0.0.1',
    port: Number(port),
    requestTimeout: 10000,
    connectionRetryLimit: 1,
  });

  const note = new apn.Notification();
  note.id = '6f1c2a1e-5b7d-4c2e-9a4f-1d2e3f405162';
  note.topic = topic;
  note.pushType = 'alert';
  note.priority = 5;
  note.expiry = 2000000000;
  note.collapseId = 'interop-1';
  note.alert = { title: 'Herald', body: 'hello from node-apn' };
  note.badge = 3;
  note.sound = 'ping.aiff';
  note.payload = { k: 'v' };

  const good_result = await provider.send(note, good);
  const deadNote = new apn.Notification({ alert: 'gone' });
  deadNote.topic = topic;
  deadNote.pushType = 'alert';
  const dead_result = await provider.send(deadNote, dead);
  await provider.shutdown();

  const certProvider = new apn.Provider({
    cert: certFile,
    key: certKey,
    address: '127.0.0.1',
    port: Number(port),
    requestTimeout: 10000,
    connectionRetryLimit: 1,
  });
  const certNote = new apn.Notification({ alert: 'certificate auth', contentAvailable: true });
  certNote.topic = topic;
  certNote.pushType = 'alert';
  const cert_result = await certProvider.send(certNote, certDevice);
  await certProvider.shutdown();

  const version = require('@parse/node-apn/package.json').version;
  console.log(
    JSON.stringify({ good: good_result, dead: dead_result, cert: cert_result, version })
  );
}

main().catch(err => {
  console.error('interop_apn.js:', err && err.stack ? err.stack : err);
  process.exit(1);
});
