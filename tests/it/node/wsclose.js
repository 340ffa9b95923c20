// wsclose.js -- open the node's WebSocket feed and report how it closes.
//
//   NODE_PATH=... node wsclose.js URL TOKEN
//
// Prints "OPEN" once the upgrade succeeded, then "CLOSE <code>" when the
// node closes the connection (or "ERROR <text>"), and exits.  The caller
// waits for OPEN, stops the node, and checks the code (1001 at shutdown).
'use strict';
const WebSocket = require('ws');

const [url, token] = process.argv.slice(2);
const ws = new WebSocket(url, {headers: {Authorization: `Bearer ${token}`}});
ws.on('open', () => console.log('OPEN'));
ws.on('close', (code) => {
    console.log(`CLOSE ${code}`);
    process.exit(0);
});
ws.on('error', (e) => {
    console.log(`ERROR ${e.message}`);
    process.exit(1);
});
