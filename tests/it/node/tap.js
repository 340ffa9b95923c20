// tap.js -- the PASS/FAIL lines the Node.js test scripts print (turned
// into TAP by node_tap in tests/it/lib/server.sh).
'use strict';
let failed = 0;

// Print "PASS what", or "FAIL what -- detail" and count the failure.
function check(what, cond, detail) {
    if (cond) console.log(`PASS ${what}`);
    else {
        failed++;
        console.log(`FAIL ${what} -- ${detail === undefined ? '' : detail}`);
    }
}

// Exit 1 when a check failed, else 0.
function finish() {
    process.exit(failed ? 1 : 0);
}

module.exports = {check, finish};
