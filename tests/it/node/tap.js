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

// Run the named groups of checks (async functions in all) in order, a
// thrown exception failing its group, then finish().
async function runGroups(all, names) {
    for (const g of names) {
        if (!all[g]) {
            check(`known group ${g}`, false, `groups: ${Object.keys(all).join(' ')}`);
            continue;
        }
        try {
            await all[g]();
        } catch (e) {
            check(`${g}: no exception`, false, e && e.stack);
        }
    }
    finish();
}

module.exports = {check, finish, runGroups};
